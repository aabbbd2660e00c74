package dev.coemesh.worker.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PrefillPeersTest {
  private static final PrefillPeers PEERS =
      PrefillPeers.parse("10.42.0.0/16, 192.168.7.9/32,fd00::/8");

  @ParameterizedTest
  @CsvSource({
    "10.42.0.1:9201,10.42.0.1:9201",
    "10.42.255.254:1,10.42.255.254:1",
    "192.168.7.9:9201,192.168.7.9:9201",
    "[fd00::12]:9201,[fd00::12]:9201"
  })
  void addressesInsideTheRangesAreAllowed(String endpoint, String normalised) {
    assertEquals(normalised, PEERS.check(endpoint).toString());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.43.0.1:9201", // outside the /16
        "192.168.7.10:9201", // outside the /32
        "[fe80::1]:9201",
        "127.0.0.1:9201", // loopback is not listed here
        "prefill-0.workers:9201", // a host name is never resolved
        "localhost:9201",
        "10.42.0.1", // no port
        "10.42.0.1:0",
        "10.42.0.1:70000",
        "10.42.0.1:x",
        ":9201"
      })
  void anythingElseIsAnInvalidRequestNamingTheHeader(String endpoint) {
    MeshException e = assertThrows(MeshException.class, () -> PEERS.check(endpoint));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals(OpenAiService.PREFILL_HEADER, e.toBody().error().param());
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:9201", "[::1]:9201"})
  void theDefaultIsLoopback(String endpoint) {
    PrefillPeers.parse(PrefillPeers.LOOPBACK).check(endpoint);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0", "10.0.0.0/33", "example.org/8", "::1/129"})
  void malformedRangesAreRefusedAtStart(String ranges) {
    assertThrows(IllegalArgumentException.class, () -> PrefillPeers.parse(ranges));
  }
}
