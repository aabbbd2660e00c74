package dev.coemesh.decode;

import dev.coemesh.worker.server.ColocatedRpc;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRuntime;
import io.quarkus.grpc.GrpcService;

/** {@code coemesh.worker.v1.Colocated}: this replica can also serve both phases itself. */
@GrpcService
public class GenerateEndpoint extends ColocatedRpc {
  public GenerateEndpoint(WorkerRuntime runtime, WorkerMetrics metrics) {
    super(runtime, metrics);
  }
}
