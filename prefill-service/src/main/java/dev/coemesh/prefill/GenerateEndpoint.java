package dev.coemesh.prefill;

import dev.coemesh.worker.server.ColocatedRpc;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRuntime;
import dev.coemesh.worker.trace.WorkerTracing;
import io.quarkus.grpc.GrpcService;

/** {@code coemesh.worker.v1.Colocated}: this replica can also serve both phases itself. */
@GrpcService
public class GenerateEndpoint extends ColocatedRpc {
  public GenerateEndpoint(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    super(runtime, metrics, tracing);
  }
}
