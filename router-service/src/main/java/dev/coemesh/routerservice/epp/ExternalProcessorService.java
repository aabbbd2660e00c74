package dev.coemesh.routerservice.epp;

import dev.coemesh.router.Router;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/**
 * {@code envoy.service.ext_proc.v3.ExternalProcessor/Process}: the router as the Gateway API
 * Inference Extension's endpoint picker, one stream per HTTP request ({@link ExtProcStream}).
 * Blocking: a pick embeds the prompt (milliseconds of CPU), which must not run on an event loop.
 */
@GrpcService
@Blocking
public class ExternalProcessorService extends ExternalProcessorGrpc.ExternalProcessorImplBase {
  private final Router router;
  private final EppSettings settings;
  private final EndpointPicker picker;
  private final InFlight inFlight;
  private final EppMeters meters;

  public ExternalProcessorService(
      Router router, EppSettings settings, InFlight inFlight, MeterRegistry registry) {
    this.router = router;
    this.inFlight = inFlight;
    this.settings = settings;
    this.picker =
        new EndpointPicker(router, registry, settings.targetPort(), settings.shedQueueDepth());
    this.meters = new EppMeters(registry, inFlight);
  }

  @Override
  @Blocking
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
    ExtProcStream stream =
        new ExtProcStream(
            responses,
            picker,
            settings,
            inFlight,
            meters,
            (pick, success) -> router.recordOutcome(pick.replica(), success));
    if (responses instanceof ServerCallStreamObserver<ProcessingResponse> call) {
      call.setOnCancelHandler(() -> stream.onError(null)); // the lease is released once either way
    }
    return stream;
  }
}
