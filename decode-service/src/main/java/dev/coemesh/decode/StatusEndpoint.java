package dev.coemesh.decode;

import dev.coemesh.worker.server.StatusRpc;
import dev.coemesh.worker.server.WorkerRuntime;
import io.quarkus.grpc.GrpcService;

/** {@code coemesh.worker.v1.WorkerStatus}: health and engine load. */
@GrpcService
public class StatusEndpoint extends StatusRpc {
  public StatusEndpoint(WorkerRuntime runtime) {
    super(runtime);
  }
}
