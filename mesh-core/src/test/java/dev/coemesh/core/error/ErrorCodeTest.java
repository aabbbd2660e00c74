package dev.coemesh.core.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

  @ParameterizedTest
  @CsvSource({
    "INVALID_REQUEST, 400, invalid_request_error, INVALID_ARGUMENT",
    "UNAUTHENTICATED, 401, authentication_error, UNAUTHENTICATED",
    "MODEL_NOT_FOUND, 404, invalid_request_error, NOT_FOUND",
    "PAYLOAD_TOO_LARGE, 413, invalid_request_error, INVALID_ARGUMENT",
    "TENANT_QUEUE_FULL, 429, rate_limit_error, RESOURCE_EXHAUSTED",
    "NO_HEALTHY_REPLICA, 503, server_error, UNAVAILABLE",
    "INTERNAL, 500, server_error, INTERNAL",
  })
  void mapsToBothProtocols(ErrorCode code, int http, String type, String grpc) {
    assertEquals(http, code.httpStatus());
    assertEquals(type, code.openAiType());
    assertEquals(grpc, code.grpcStatus());
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void onlyInternalFailuresAreServerErrorsWithoutClientCause(ErrorCode code) {
    if (code.isClientError()) {
      assertTrue(code.httpStatus() < 500);
    } else {
      assertFalse(
          code.httpStatus() >= 400 && code.httpStatus() < 500 && code != ErrorCode.KV_NOT_FOUND);
    }
  }

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeHasAGrpcStatusName(ErrorCode code) {
    assertTrue(code.grpcStatus().matches("[A-Z_]+"), code.grpcStatus());
  }

  @org.junit.jupiter.api.Test
  void exceptionBuildsTheOpenAiShapedBody() {
    var e = MeshException.invalid("messages", "messages must not be empty");
    ErrorBody body = e.toBody();
    assertEquals("messages must not be empty", body.error().message());
    assertEquals("invalid_request_error", body.error().type());
    assertEquals("messages", body.error().param());
    assertEquals("invalid_request", body.error().code());
  }

  @org.junit.jupiter.api.Test
  void anErrorMayCarryOpenAisOwnTypeAndCodeWhileItsStatusesFollowItsCode() {
    var e =
        MeshException.openAi(ErrorCode.RATE_LIMITED, "slow down", "tokens", "rate_limit_exceeded");
    ErrorBody body = e.toBody();
    assertEquals("tokens", body.error().type());
    assertEquals("rate_limit_exceeded", body.error().code());
    assertEquals("slow down", body.error().message());
    assertEquals(null, body.error().param());
    assertEquals(429, e.code().httpStatus());
    assertEquals("rate_limited", e.code().wireCode());
  }

  @org.junit.jupiter.api.Test
  void anUnreachableLimitStoreIsTheServersFault() {
    assertEquals(503, ErrorCode.LIMIT_STORE_UNAVAILABLE.httpStatus());
    assertEquals("UNAVAILABLE", ErrorCode.LIMIT_STORE_UNAVAILABLE.grpcStatus());
    assertFalse(ErrorCode.LIMIT_STORE_UNAVAILABLE.isClientError());
  }
}
