package dev.coemesh.routerservice.epp;

import com.google.protobuf.ByteString;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.tenant.Priority;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * One HTTP request's ext_proc stream: its headers, then its body until the end of the stream, then
 * the pick, then its response passing through until it ends.
 *
 * <p>How the pick is answered depends on the request body mode Envoy announces in {@code
 * protocol_config}:
 *
 * <ul>
 *   <li>{@code FULL_DUPLEX_STREAMED} (what the Inference Extension configures): Envoy sends the
 *       headers and every body chunk without waiting, so the headers are answered only once the
 *       body is whole (with the destination), then the buffered chunks go back as streamed body
 *       mutations (in full-duplex mode the upstream receives only what is sent back).
 *   <li>Any other mode ({@code BUFFERED}, or none announced): each message is answered as it comes;
 *       the headers pass, intermediate chunks pass unchanged, and the answer to the last chunk
 *       carries the destination. With {@code BUFFERED} that is the whole body in one message, and
 *       its header mutation still reaches the upstream request.
 * </ul>
 *
 * The destination is the {@code x-gateway-destination-endpoint} header and the same value under
 * {@code envoy.lb} in the dynamic metadata. A rejection is an immediate response with the status of
 * its error code and an OpenAI-shaped body. Messages of one stream arrive in order, one at a time
 * (gRPC serialises a call's callbacks), so this holds no lock.
 */
final class ExtProcStream implements StreamObserver<ProcessingRequest> {
  private static final Logger LOG = Logger.getLogger(ExtProcStream.class);

  private final StreamObserver<ProcessingResponse> responses;
  private final EndpointPicker picker;
  private final EppSettings settings;
  private final InFlight inFlight;
  private final EppMeters meters;
  private final ResponseOutcomes outcomes;

  private boolean duplexRequest;
  private boolean duplexResponse;
  private Map<String, String> headers = Map.of();
  private Set<String> subset;
  private final List<ByteString> chunks = new ArrayList<>();
  private long bodyBytes;
  private boolean answered; // picked or rejected: the request phase is over
  private boolean rejected;
  private EndpointPicker.Pick pick;
  private InFlight.Lease lease;

  /** Reports a routed request's response status to the router's circuit breakers. */
  interface ResponseOutcomes {
    void record(EndpointPicker.Pick pick, boolean success);
  }

  ExtProcStream(
      StreamObserver<ProcessingResponse> responses,
      EndpointPicker picker,
      EppSettings settings,
      InFlight inFlight,
      EppMeters meters,
      ResponseOutcomes outcomes) {
    this.responses = responses;
    this.picker = picker;
    this.settings = settings;
    this.inFlight = inFlight;
    this.meters = meters;
    this.outcomes = outcomes;
  }

  @Override
  public void onNext(ProcessingRequest request) {
    if (request.hasProtocolConfig()) {
      duplexRequest =
          request.getProtocolConfig().getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED;
      duplexResponse =
          request.getProtocolConfig().getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED;
    }
    if (rejected) {
      return; // Envoy ends the stream after an immediate response
    }
    try {
      switch (request.getRequestCase()) {
        case REQUEST_HEADERS -> onRequestHeaders(request);
        case REQUEST_BODY -> onRequestBody(request.getRequestBody());
        case REQUEST_TRAILERS -> onRequestTrailers();
        case RESPONSE_HEADERS -> onResponseHeaders(request.getResponseHeaders());
        case RESPONSE_BODY -> onResponseBody(request.getResponseBody());
        case RESPONSE_TRAILERS -> {
          release();
          responses.onNext(EnvoyMessages.responseTrailers());
        }
        case REQUEST_NOT_SET -> {}
      }
    } catch (MeshException e) {
      reject(e);
    } catch (RuntimeException e) {
      LOG.error("endpoint picker stream failed", e);
      reject(new MeshException(ErrorCode.INTERNAL, "the endpoint picker failed: " + e));
    }
  }

  private void onRequestHeaders(ProcessingRequest request) {
    HttpHeaders h = request.getRequestHeaders();
    headers = EnvoyMessages.headers(h.getHeaders());
    subset = EnvoyMessages.subset(request);
    if (h.getEndOfStream()) {
      throw MeshException.invalid(null, "the request has no body to route on");
    }
    if (!duplexRequest) {
      responses.onNext(EnvoyMessages.requestHeaders(EnvoyMessages.pass()));
    }
  }

  private void onRequestBody(HttpBody body) {
    if (answered) { // a body after the pick (not sent by a conforming data plane): pass it
      responses.onNext(
          EnvoyMessages.requestBody(
              duplexRequest
                  ? EnvoyMessages.streamed(body.getBody(), body.getEndOfStream())
                  : EnvoyMessages.pass()));
      return;
    }
    bodyBytes += body.getBody().size();
    if (bodyBytes > settings.maxBodySize().asLongValue()) {
      throw new MeshException(
          ErrorCode.PAYLOAD_TOO_LARGE,
          "the request body exceeds " + settings.maxBodySize().asLongValue() + " bytes");
    }
    chunks.add(body.getBody());
    if (body.getEndOfStream()) {
      pickAndForward(true);
    } else if (!duplexRequest) {
      responses.onNext(EnvoyMessages.requestBody(EnvoyMessages.pass()));
    }
  }

  /** Trailers end a body that did not end with its last chunk. */
  private void onRequestTrailers() {
    if (!answered && duplexRequest) {
      pickAndForward(false);
    }
    responses.onNext(EnvoyMessages.requestTrailers());
  }

  private void pickAndForward(boolean bodyEnds) {
    ByteString body = ByteString.copyFrom(chunks);
    EndpointPicker.Pick picked =
        picker.pick(
            new EndpointPicker.PickRequest(
                requestId(),
                InferenceBody.parse(headers.get(":path"), body.toByteArray()),
                estimatedTokens(body.size()),
                priority(),
                subset));
    pick = picked;
    lease = inFlight.acquire(picked.endpoint());
    answered = true;
    meters.requests(picked.saturated() ? "routed_saturated" : "routed");
    var route = EnvoyMessages.route(picked.endpoint(), picked.prefillEndpoint());
    var metadata = EnvoyMessages.destinationMetadata(picked.endpoint());
    if (duplexRequest) {
      responses.onNext(
          EnvoyMessages.requestHeaders(route).toBuilder().setDynamicMetadata(metadata).build());
      for (int i = 0; i < chunks.size(); i++) {
        boolean last = i == chunks.size() - 1;
        responses.onNext(
            EnvoyMessages.requestBody(EnvoyMessages.streamed(chunks.get(i), last && bodyEnds)));
      }
    } else {
      responses.onNext(
          EnvoyMessages.requestBody(route).toBuilder().setDynamicMetadata(metadata).build());
    }
    chunks.clear();
  }

  private void onResponseHeaders(HttpHeaders h) {
    if (pick != null) {
      String status = EnvoyMessages.headers(h.getHeaders()).get(":status");
      boolean serverError = status != null && status.startsWith("5");
      outcomes.record(pick, !serverError);
    }
    // released before the answer: whoever sees the response end sees the replica's slot free
    if (h.getEndOfStream()) {
      release();
    }
    responses.onNext(EnvoyMessages.responseHeaders());
  }

  private void onResponseBody(HttpBody body) {
    if (body.getEndOfStream()) {
      release();
    }
    responses.onNext(
        EnvoyMessages.responseBody(
            duplexResponse
                ? EnvoyMessages.streamed(body.getBody(), body.getEndOfStream())
                : EnvoyMessages.pass()));
  }

  private void reject(MeshException e) {
    rejected = true;
    answered = true;
    chunks.clear();
    meters.requests(e.code().wireCode());
    release();
    responses.onNext(EnvoyMessages.immediate(e));
  }

  private String requestId() {
    String id = headers.get("x-request-id");
    return id == null || id.isBlank() ? UUID.randomUUID().toString() : id;
  }

  /**
   * The request's class: {@code x-mesh-priority}, else its {@code x-gateway-inference-objective}'s
   * configured priority (below 0 is sheddable), else interactive.
   */
  private Priority priority() {
    String named = headers.get("x-mesh-priority");
    if (named != null) {
      Priority p = Priority.parse(named);
      if (p == null) {
        throw MeshException.invalid(
            null, "x-mesh-priority must be 'interactive' or 'batch', got '" + named + "'");
      }
      return p;
    }
    String objective = headers.get("x-gateway-inference-objective");
    Integer priority = objective == null ? null : settings.objectives().get(objective.strip());
    return priority == null ? Priority.INTERACTIVE : Priority.ofObjective(priority);
  }

  /**
   * The prompt's length for the disaggregation decider and the capacity filter, from the body's
   * size at about four bytes a token: the picker does not tokenize, and JSON framing makes this an
   * over-estimate, which errs toward more KV room.
   */
  private static int estimatedTokens(int bodyBytes) {
    return Math.max(1, bodyBytes / 4);
  }

  private void release() {
    if (lease != null) {
      lease.release();
    }
  }

  @Override
  public void onError(Throwable t) {
    release(); // cancelled by Envoy (the client went away) or the connection broke
  }

  @Override
  public void onCompleted() {
    release();
    responses.onCompleted();
  }
}
