package dev.coemesh.routerservice.epp;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One ext_proc stream as Envoy drives it: the messages an Envoy HTTP filter sends (request headers,
 * body chunks, response headers and body), and the picker's answers as they arrive.
 */
final class EnvoyStream {
  private final BlockingQueue<ProcessingResponse> answers = new LinkedBlockingQueue<>();
  private final BlockingQueue<Object> end = new LinkedBlockingQueue<>();
  private final ClientCallStreamObserver<ProcessingRequest> requests;
  private final BodySendMode mode;
  private boolean first = true;

  @SuppressWarnings("unchecked")
  EnvoyStream(Channel channel, BodySendMode mode) {
    this.mode = mode;
    ClientCallStreamObserver<ProcessingRequest>[] call = new ClientCallStreamObserver[1];
    ExternalProcessorGrpc.newStub(channel)
        .process(
            new ClientResponseObserver<ProcessingRequest, ProcessingResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<ProcessingRequest> stream) {
                call[0] = stream;
              }

              @Override
              public void onNext(ProcessingResponse value) {
                answers.add(value);
              }

              @Override
              public void onError(Throwable t) {
                end.add(t);
              }

              @Override
              public void onCompleted() {
                end.add("completed");
              }
            });
    this.requests = call[0];
  }

  /** The request headers of a POST to {@code path}, with the subset hint when not null. */
  EnvoyStream headers(String path, Map<String, String> extra, List<String> subset) {
    HeaderMap.Builder map =
        HeaderMap.newBuilder()
            .addHeaders(raw(":method", "POST"))
            .addHeaders(raw(":path", path))
            .addHeaders(raw("content-type", "application/json"));
    extra.forEach((k, v) -> map.addHeaders(raw(k, v)));
    ProcessingRequest.Builder r =
        ProcessingRequest.newBuilder().setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map));
    if (subset != null) {
      r.setMetadataContext(
          Metadata.newBuilder()
              .putFilterMetadata(EnvoyMessages.SUBSET_NAMESPACE, EnvoyMessages.subsetHint(subset)));
    }
    return send(r);
  }

  EnvoyStream body(String chunk, boolean endOfStream) {
    return send(
        ProcessingRequest.newBuilder()
            .setRequestBody(
                HttpBody.newBuilder()
                    .setBody(ByteString.copyFromUtf8(chunk))
                    .setEndOfStream(endOfStream)));
  }

  EnvoyStream responseHeaders(int status, boolean endOfStream) {
    return send(
        ProcessingRequest.newBuilder()
            .setResponseHeaders(
                HttpHeaders.newBuilder()
                    .setHeaders(HeaderMap.newBuilder().addHeaders(raw(":status", "" + status)))
                    .setEndOfStream(endOfStream)));
  }

  EnvoyStream responseBody(String chunk, boolean endOfStream) {
    return send(
        ProcessingRequest.newBuilder()
            .setResponseBody(
                HttpBody.newBuilder()
                    .setBody(ByteString.copyFromUtf8(chunk))
                    .setEndOfStream(endOfStream)));
  }

  private EnvoyStream send(ProcessingRequest.Builder r) {
    if (first) {
      r.setProtocolConfig(
          ProtocolConfiguration.newBuilder().setRequestBodyMode(mode).setResponseBodyMode(mode));
      first = false;
    }
    requests.onNext(r.build());
    return this;
  }

  ProcessingResponse next() throws InterruptedException {
    ProcessingResponse r = answers.poll(30, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no answer from the endpoint picker within 30 s");
    }
    return r;
  }

  /** No further answer arrives within {@code millis}. */
  ProcessingResponse poll(long millis) throws InterruptedException {
    return answers.poll(millis, TimeUnit.MILLISECONDS);
  }

  void close() throws InterruptedException {
    requests.onCompleted();
    Object e = end.poll(10, TimeUnit.SECONDS);
    if (!"completed".equals(e)) {
      throw new AssertionError("the picker did not complete the stream: " + e);
    }
  }

  void cancel() {
    requests.cancel("the client went away", null);
  }

  static HeaderValue raw(String key, String value) {
    return HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)).build();
  }

  /** A header the picker sets, by name, or null. */
  static String setHeader(io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse r, String key) {
    return r.getHeaderMutation().getSetHeadersList().stream()
        .filter(h -> h.getHeader().getKey().equals(key))
        .map(h -> h.getHeader().getRawValue().toStringUtf8())
        .findFirst()
        .orElse(null);
  }

  /** The {@code envoy.lb} destination of a response's dynamic metadata, or null. */
  static String lbDestination(ProcessingResponse r) {
    Struct lb =
        r.getDynamicMetadata()
            .getFieldsOrDefault(
                EnvoyMessages.LB_NAMESPACE, com.google.protobuf.Value.getDefaultInstance())
            .getStructValue();
    return lb.containsFields(EnvoyMessages.DESTINATION)
        ? lb.getFieldsOrThrow(EnvoyMessages.DESTINATION).getStringValue()
        : null;
  }
}
