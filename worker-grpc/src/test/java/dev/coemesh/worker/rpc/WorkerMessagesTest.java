package dev.coemesh.worker.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.BlockHashes;
import dev.coemesh.core.kv.KvHandle;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.request.RequestTimings;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.pool.worker.FallbackReason;
import dev.coemesh.pool.worker.KvHandoff;
import dev.coemesh.worker.v1.NoKvReason;
import dev.coemesh.worker.v1.RequestRef;
import dev.coemesh.worker.v1.Sampling;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerMessagesTest {

  @Test
  void absentTopPAndLogprobsMeanKeepEverythingAndNoLogprobs() {
    SamplingParams p = WorkerMessages.sampling(Sampling.newBuilder().setMaxTokens(4).build());
    assertEquals(SamplingParams.greedy(4), p);
  }

  @Test
  void aReferenceWithoutPrefixRootIsInItsTenantsScopeAndTheOverloadCarriesTheShared() {
    RequestId id = RequestId.random();
    TenantId acme = new TenantId("acme");
    RequestRef own = WorkerMessages.ref(id, acme);
    assertEquals(0, own.getPrefixRoot(), "absent on the wire");
    assertEquals(BlockHashes.root("acme"), WorkerMessages.prefixRoot(own, acme));
    RequestRef shared = WorkerMessages.ref(id, acme, BlockHashes.ROOT);
    assertEquals(BlockHashes.ROOT, WorkerMessages.prefixRoot(shared, acme));
    assertEquals("acme", shared.getTenant());
  }

  @Test
  void samplingSurvivesTheRoundTrip() {
    SamplingParams p = new SamplingParams(0.7, 40, 0.9, 11, 64, List.of(2, 7), List.of("\n"), 3);
    assertEquals(p, WorkerMessages.sampling(WorkerMessages.sampling(p)));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void badSamplingIsAnInvalidRequestNamingTheField(int maxTokens) {
    MeshException e =
        assertThrows(
            MeshException.class,
            () -> WorkerMessages.sampling(Sampling.newBuilder().setMaxTokens(maxTokens).build()));
    assertEquals(ErrorCode.INVALID_REQUEST, e.code());
    assertEquals("sampling", e.param());
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreRejectedWithTheirPosition() {
    assertArrayEquals(
        new int[] {1, 511}, WorkerMessages.tokenIds(List.of(1, 511), 512, "token_ids"));
    MeshException tooBig =
        assertThrows(
            MeshException.class, () -> WorkerMessages.tokenIds(List.of(1, 512), 512, "token_ids"));
    assertTrue(tooBig.getMessage().contains("token_ids[1] = 512"), tooBig.getMessage());
    // a uint32 above 2^31 arrives as a negative int
    MeshException unsigned =
        assertThrows(
            MeshException.class, () -> WorkerMessages.tokenIds(List.of(-5), 512, "token_ids"));
    assertTrue(unsigned.getMessage().contains("4294967291"), unsigned.getMessage());
  }

  @Test
  void idsAreValidatedAsStoreKeysNeedThem() {
    RequestRef colon = RequestRef.newBuilder().setRequestId("r1").setTenant("acme:other").build();
    assertEquals(
        "request.tenant",
        assertThrows(MeshException.class, () -> WorkerMessages.tenant(colon)).param());
    RequestRef empty = RequestRef.newBuilder().setTenant("acme").build();
    assertEquals(
        "request.request_id",
        assertThrows(MeshException.class, () -> WorkerMessages.requestId(empty)).param());
  }

  @Test
  void kvHandlesAndTimingsSurviveTheRoundTrip() {
    KvHandle h =
        new KvHandle(
            new ModelFingerprint(-42L), new TenantId("acme"), new RequestId("r1"), 30, 2, 0, -7);
    assertEquals(h, WorkerMessages.handle(WorkerMessages.handle(h)));
    RequestTimings t = new RequestTimings(1, 2, 3, Double.NaN, 5, Double.NaN);
    assertEquals(t, WorkerMessages.timings(WorkerMessages.timings(t)));
  }

  /** Prefill's reason for sending no KV, over the wire, to the reason decode counts. */
  @ParameterizedTest
  @CsvSource({
    "PREDICTED_SLOWER, NO_KV_PREDICTED_SLOWER, PREDICTED_SLOWER",
    "STORE_UNAVAILABLE, NO_KV_STORE_FAILED, STORE_UNAVAILABLE",
  })
  void theReasonForNoKvTravelsFromPrefillToDecode(
      FallbackReason prefill, NoKvReason wire, FallbackReason decode) {
    assertEquals(wire, WorkerMessages.noKvReason(new KvHandoff.Recompute(prefill)));
    assertEquals(new KvHandoff.Recompute(decode), WorkerMessages.handoff(null, wire));
  }

  @Test
  void aMissingHandleWithoutAReasonIsAFailedStoreWriteAsBeforeTheField() {
    assertEquals(
        new KvHandoff.Recompute(FallbackReason.STORE_UNAVAILABLE),
        WorkerMessages.handoff(null, NoKvReason.NO_KV_REASON_UNSPECIFIED));
  }
}
