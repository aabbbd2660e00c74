package dev.coemesh.prefill;

import dev.coemesh.worker.server.PrefillRpc;
import dev.coemesh.worker.server.WorkerMetrics;
import dev.coemesh.worker.server.WorkerRuntime;
import dev.coemesh.worker.trace.WorkerTracing;
import io.quarkus.grpc.GrpcService;

/** {@code coemesh.worker.v1.Prefill} on this app's gRPC server. */
@GrpcService
public class PrefillEndpoint extends PrefillRpc {
  public PrefillEndpoint(WorkerRuntime runtime, WorkerMetrics metrics, WorkerTracing tracing) {
    super(runtime, metrics, tracing);
  }
}
