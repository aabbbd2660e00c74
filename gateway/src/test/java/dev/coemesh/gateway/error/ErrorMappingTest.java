package dev.coemesh.gateway.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorMappingTest {
  @Test
  void restBodyIsOpenAisErrorObject() {
    String body =
        RestErrors.body(
            new ObjectMapper(), MeshException.invalid("messages", "'messages' must not be empty"));
    assertEquals(
        "{\"error\":{\"message\":\"'messages' must not be empty\",\"type\":"
            + "\"invalid_request_error\",\"param\":\"messages\",\"code\":\"invalid_request\"}}",
        body);
  }

  @Test
  void paramIsNullWhenNoParameterIsAtFault() {
    String body =
        RestErrors.body(
            new ObjectMapper(), new MeshException(ErrorCode.UNAUTHENTICATED, "invalid API key"));
    assertEquals(
        "{\"error\":{\"message\":\"invalid API key\",\"type\":\"authentication_error\","
            + "\"param\":null,\"code\":\"unauthenticated\"}}",
        body);
  }

  @ParameterizedTest
  @CsvSource({
    "INVALID_REQUEST, 400, INVALID_ARGUMENT",
    "CONTEXT_LENGTH_EXCEEDED, 400, INVALID_ARGUMENT",
    "UNAUTHENTICATED, 401, UNAUTHENTICATED",
    "MODEL_NOT_FOUND, 404, NOT_FOUND",
    "PAYLOAD_TOO_LARGE, 413, INVALID_ARGUMENT",
    "TENANT_QUEUE_FULL, 429, RESOURCE_EXHAUSTED",
    "RATE_LIMITED, 429, RESOURCE_EXHAUSTED",
    "NO_HEALTHY_REPLICA, 503, UNAVAILABLE",
    "DEADLINE_EXCEEDED, 504, DEADLINE_EXCEEDED",
  })
  void theIssuesStatusTableHolds(ErrorCode code, int http, Status.Code grpc) {
    MeshException e = new MeshException(code, "m");
    assertEquals(http, code.httpStatus());
    assertEquals(grpc, GrpcErrors.status(e).getCode());
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeMapsToAGrpcStatusWithItsWireCodeInTheTrailers(ErrorCode code) {
    StatusRuntimeException e = GrpcErrors.toException(new MeshException(code, "why"), 0);
    assertEquals(code.grpcStatus(), e.getStatus().getCode().name());
    assertEquals("why", e.getStatus().getDescription());
    assertEquals(code.wireCode(), e.getTrailers().get(GrpcErrors.ERROR_CODE));
    assertNotEquals(Status.Code.OK, e.getStatus().getCode());
  }

  @Test
  void throttlingCarriesARetryHint() {
    assertEquals(
        "7",
        GrpcErrors.toException(new MeshException(ErrorCode.RATE_LIMITED, "slow"), 7)
            .getTrailers()
            .get(GrpcErrors.RETRY_AFTER));
    assertEquals(1, RestErrors.defaultRetryAfter(ErrorCode.TENANT_QUEUE_FULL));
    assertEquals(0, RestErrors.defaultRetryAfter(ErrorCode.INVALID_REQUEST));
  }

  @Test
  void aRateLimitIsOpenAisRateLimitExceededWithTheLimitAsType() {
    MeshException e =
        MeshException.openAi(ErrorCode.RATE_LIMITED, "slow down", "tokens", "rate_limit_exceeded");
    assertEquals(
        "{\"error\":{\"message\":\"slow down\",\"type\":\"tokens\",\"param\":null,"
            + "\"code\":\"rate_limit_exceeded\"}}",
        RestErrors.body(new ObjectMapper(), e));
    StatusRuntimeException grpc =
        GrpcErrors.toException(e, 12, Map.of("x-ratelimit-remaining-tokens", "0"));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, grpc.getStatus().getCode());
    assertEquals("slow down", grpc.getStatus().getDescription());
    assertEquals("rate_limited", grpc.getTrailers().get(GrpcErrors.ERROR_CODE));
    assertEquals("12", grpc.getTrailers().get(GrpcErrors.RETRY_AFTER));
    assertEquals(
        "0",
        grpc.getTrailers()
            .get(
                Metadata.Key.of("x-ratelimit-remaining-tokens", Metadata.ASCII_STRING_MARSHALLER)));
  }

  @Test
  void anUnreachableLimitStoreIsA503WithARetryHint() {
    assertEquals(503, ErrorCode.LIMIT_STORE_UNAVAILABLE.httpStatus());
    assertEquals(1, RestErrors.defaultRetryAfter(ErrorCode.LIMIT_STORE_UNAVAILABLE));
    assertEquals(
        Status.Code.UNAVAILABLE,
        GrpcErrors.status(new MeshException(ErrorCode.LIMIT_STORE_UNAVAILABLE, "m")).getCode());
  }
}
