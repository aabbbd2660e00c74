package dev.coemesh.worker.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class GrpcStatusesTest {

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyMeshCodeSurvivesTheRoundTripThroughAStatusAndItsTrailer(ErrorCode code) {
    StatusRuntimeException status = GrpcStatuses.toStatus(new MeshException(code, "why"));
    assertEquals(code.grpcStatus(), status.getStatus().getCode().name());
    assertEquals("why", status.getStatus().getDescription());
    assertEquals(code.wireCode(), status.getTrailers().get(GrpcStatuses.ERROR_CODE));
    assertEquals(code, GrpcStatuses.toMesh(new CompletionException(status)).code());
  }

  @ParameterizedTest
  @CsvSource({
    "UNAVAILABLE, NO_HEALTHY_REPLICA",
    "DEADLINE_EXCEEDED, DEADLINE_EXCEEDED",
    "CANCELLED, CANCELLED",
    "INVALID_ARGUMENT, INVALID_REQUEST",
    "RESOURCE_EXHAUSTED, CAPACITY_EXHAUSTED",
    "UNKNOWN, INTERNAL",
  })
  void aStatusWithoutTheTrailerMapsByItsCode(Status.Code grpc, ErrorCode mesh) {
    assertEquals(mesh, GrpcStatuses.toMesh(Status.fromCode(grpc).asRuntimeException()).code());
  }

  @ParameterizedTest
  @CsvSource({"illegal, INVALID_ARGUMENT", "state, INTERNAL"})
  void handlerFailuresOutsideTheErrorModelAreMapped(String kind, Status.Code expected) {
    RuntimeException e =
        kind.equals("illegal")
            ? new IllegalArgumentException("bad")
            : new IllegalStateException("broken");
    assertEquals(expected, GrpcStatuses.toStatus(e).getStatus().getCode());
  }
}
