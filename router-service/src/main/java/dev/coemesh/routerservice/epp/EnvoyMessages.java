package dev.coemesh.routerservice.epp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.coemesh.core.error.MeshException;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.StreamedBodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The endpoint picker protocol's names, and the ext_proc messages it reads and writes (Gateway API
 * Inference Extension, proposal 004).
 */
final class EnvoyMessages {
  /** The picked endpoint, as a request header and as a key of the {@code envoy.lb} metadata. */
  static final String DESTINATION = "x-gateway-destination-endpoint";

  /** The filter metadata namespace and key of the data plane's subset hint. */
  static final String SUBSET_NAMESPACE = "envoy.lb.subset_hint";

  static final String SUBSET_KEY = "x-gateway-destination-endpoint-subset";

  /** The dynamic metadata namespace of the picked endpoint. */
  static final String LB_NAMESPACE = "envoy.lb";

  /** Where the decode worker of a disaggregated placement finds its prefill worker (gRPC). */
  static final String PREFILL = "x-mesh-prefill-endpoint";

  private static final ObjectMapper JSON = new ObjectMapper();

  private EnvoyMessages() {}

  /**
   * Header names in lower case; a value sent as {@code raw_value} (newer Envoys) or {@code value}.
   */
  static Map<String, String> headers(HeaderMap map) {
    Map<String, String> out = new HashMap<>();
    for (HeaderValue h : map.getHeadersList()) {
      String value =
          h.getRawValue().isEmpty()
              ? h.getValue()
              : h.getRawValue().toString(StandardCharsets.UTF_8);
      out.put(h.getKey().toLowerCase(Locale.ROOT), value);
    }
    return out;
  }

  /** The endpoints the data plane allows, or null when it sent no hint (then every one is). */
  static Set<String> subset(ProcessingRequest request) {
    Struct hint = request.getMetadataContext().getFilterMetadataMap().get(SUBSET_NAMESPACE);
    if (hint == null || !hint.containsFields(SUBSET_KEY)) {
      return null;
    }
    Value value = hint.getFieldsOrThrow(SUBSET_KEY);
    Set<String> endpoints = new LinkedHashSet<>();
    if (value.hasListValue()) {
      for (Value v : value.getListValue().getValuesList()) {
        if (v.hasStringValue()) {
          endpoints.add(v.getStringValue().strip());
        }
      }
    } else if (value.hasStringValue()) { // tolerated: one comma-separated string
      for (String e : value.getStringValue().split(",")) {
        if (!e.isBlank()) {
          endpoints.add(e.strip());
        }
      }
    }
    return endpoints;
  }

  /** The subset hint as the data plane sends it (for tests and tools). */
  static Struct subsetHint(Iterable<String> endpoints) {
    ListValue.Builder list = ListValue.newBuilder();
    endpoints.forEach(e -> list.addValues(Value.newBuilder().setStringValue(e)));
    return Struct.newBuilder()
        .putFields(SUBSET_KEY, Value.newBuilder().setListValue(list).build())
        .build();
  }

  /** Lets a phase continue unchanged. */
  static CommonResponse pass() {
    return CommonResponse.getDefaultInstance();
  }

  /**
   * The routing answer: the destination header (and the prefill header, or its removal so a client
   * cannot pick a prefill worker itself), with the route cache cleared.
   */
  static CommonResponse route(String endpoint, String prefillEndpoint) {
    HeaderMutation.Builder mutation =
        HeaderMutation.newBuilder().addSetHeaders(set(DESTINATION, endpoint));
    if (prefillEndpoint != null) {
      mutation.addSetHeaders(set(PREFILL, prefillEndpoint));
    } else {
      mutation.addRemoveHeaders(PREFILL);
    }
    return CommonResponse.newBuilder().setHeaderMutation(mutation).setClearRouteCache(true).build();
  }

  /** {@code envoy.lb: {x-gateway-destination-endpoint: endpoint}}. */
  static Struct destinationMetadata(String endpoint) {
    Struct lb =
        Struct.newBuilder()
            .putFields(DESTINATION, Value.newBuilder().setStringValue(endpoint).build())
            .build();
    return Struct.newBuilder()
        .putFields(LB_NAMESPACE, Value.newBuilder().setStructValue(lb).build())
        .build();
  }

  static ProcessingResponse requestHeaders(CommonResponse response) {
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder().setResponse(response))
        .build();
  }

  static ProcessingResponse requestBody(CommonResponse response) {
    return ProcessingResponse.newBuilder()
        .setRequestBody(BodyResponse.newBuilder().setResponse(response))
        .build();
  }

  static ProcessingResponse responseHeaders() {
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(HeadersResponse.newBuilder().setResponse(pass()))
        .build();
  }

  static ProcessingResponse responseBody(CommonResponse response) {
    return ProcessingResponse.newBuilder()
        .setResponseBody(BodyResponse.newBuilder().setResponse(response))
        .build();
  }

  /** One chunk of a body in a full-duplex streamed mode: the data plane forwards what it gets. */
  static CommonResponse streamed(ByteString chunk, boolean endOfStream) {
    return CommonResponse.newBuilder()
        .setBodyMutation(
            BodyMutation.newBuilder()
                .setStreamedResponse(
                    StreamedBodyResponse.newBuilder().setBody(chunk).setEndOfStream(endOfStream)))
        .build();
  }

  static ProcessingResponse requestTrailers() {
    return ProcessingResponse.newBuilder()
        .setRequestTrailers(TrailersResponse.getDefaultInstance())
        .build();
  }

  static ProcessingResponse responseTrailers() {
    return ProcessingResponse.newBuilder()
        .setResponseTrailers(TrailersResponse.getDefaultInstance())
        .build();
  }

  /** The error as the client sees it: its HTTP status and an OpenAI-shaped JSON body. */
  static ProcessingResponse immediate(MeshException e) {
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(e.toBody());
    } catch (JsonProcessingException impossible) {
      throw new IllegalStateException(impossible);
    }
    return ProcessingResponse.newBuilder()
        .setImmediateResponse(
            ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(e.code().httpStatus()))
                .setHeaders(
                    HeaderMutation.newBuilder()
                        .addSetHeaders(set("content-type", "application/json")))
                .setBody(ByteString.copyFrom(body))
                .setDetails("coemesh_epp_" + e.code().wireCode()))
        .build();
  }

  private static HeaderValueOption set(String key, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(key).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }
}
