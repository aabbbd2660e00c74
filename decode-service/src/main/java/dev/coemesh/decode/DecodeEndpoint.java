package dev.coemesh.decode;

import dev.coemesh.worker.server.DecodeRpc;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRuntime;
import dev.coemesh.worker.trace.WorkerTracing;
import io.quarkus.grpc.GrpcService;

/** {@code coemesh.worker.v1.Decode} on this app's gRPC server. */
@GrpcService
public class DecodeEndpoint extends DecodeRpc {
  public DecodeEndpoint(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    super(runtime, metrics, tracing);
  }
}
