package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.kv.store.RedisKvStore;
import dev.coemesh.testkit.RedisServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Calibrated tables handed from an encoding node to a decoding one through a real redis-server. */
class SharedTableCodecTest {
  private static final ModelFingerprint MODEL = new ModelFingerprint(501);

  private static CodecTables tables() {
    return CodecTables.calibrate(
        List.of(CacheGenCodecTest.sample(3, 120, 16, 20), CacheGenCodecTest.sample(3, 90, 16, 21)),
        CodecLevel.LEVEL_2);
  }

  @Test
  void tablesRoundTripAsBytesAndRejectCorruption() {
    CodecTables t = tables();
    byte[] bytes = t.toBytes();
    assertEquals(t.id(), CodecTables.fromBytes(bytes).id());
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 1;
    for (byte[] bad : new byte[][] {flipped, java.util.Arrays.copyOf(bytes, 40), new byte[3]}) {
      assertEquals(
          ErrorCode.KV_CORRUPT,
          assertThrows(MeshException.class, () -> CodecTables.fromBytes(bad)).code());
    }
  }

  @Test
  void aDecoderWithoutTheTableFetchesItOnceFromTheStore() throws Exception {
    try (RedisServer redis = RedisServer.startNew();
        RedisKvStore prefillStore = new RedisKvStore(redis.uri(), Duration.ofSeconds(2));
        RedisKvStore decodeStore = new RedisKvStore(redis.uri(), Duration.ofSeconds(2))) {
      CodecTables t = tables();
      TableRegistry prefillTables = new TableRegistry();
      prefillTables.register(MODEL, t);
      SharedTableCodec prefill =
          new SharedTableCodec(prefillTables, prefillStore, Duration.ofSeconds(2));
      TableRegistry decodeTables = new TableRegistry();
      SharedTableCodec decode =
          new SharedTableCodec(decodeTables, decodeStore, Duration.ofSeconds(2));

      KvTensor chunk = CacheGenCodecTest.sample(3, 40, 16, 22);
      byte[] blob = prefill.encode(chunk, 2, MODEL);
      assertEquals(t.id(), CacheGenCodec.tableId(blob).orElseThrow());
      assertEquals(":1", redis.command("EXISTS", "kvtable:" + Long.toHexString(t.id())));
      assertTrue(decodeTables.byId(t.id()).isEmpty());
      KvTensor back = decode.decode(blob, MODEL);
      CacheGenCodecTest.assertWithinQuantizationBound(chunk, back, CodecLevel.LEVEL_2, t.means());
      assertTrue(decodeTables.byId(t.id()).isPresent(), "registered after the first fetch");
      // and a blob smaller than its inline-table equivalent
      assertTrue(blob.length * 2 < new CacheGenCodec().encode(chunk, 2, MODEL).length);

      // a table nobody published: a typed error that names it
      TableRegistry other = new TableRegistry();
      CodecTables unpublished =
          CodecTables.calibrate(
              List.of(CacheGenCodecTest.sample(3, 50, 16, 23)), CodecLevel.LEVEL_2);
      other.register(MODEL, unpublished);
      byte[] orphan = new CacheGenCodec(other).encode(chunk, 2, MODEL);
      MeshException missing = assertThrows(MeshException.class, () -> decode.decode(orphan, MODEL));
      assertEquals(ErrorCode.KV_CORRUPT, missing.code());
      assertTrue(missing.getMessage().contains("neither this node nor the KV store"));

      // the store down: the fetch fails within its timeout, as unavailable
      redis.stop();
      SharedTableCodec late =
          new SharedTableCodec(new TableRegistry(), decodeStore, Duration.ofMillis(500));
      long t0 = System.nanoTime();
      MeshException down = assertThrows(MeshException.class, () -> late.decode(blob, MODEL));
      assertEquals(ErrorCode.KV_STORE_UNAVAILABLE, down.code());
      assertTrue((System.nanoTime() - t0) / 1e9 < 5, "failed fast");
    }
  }
}
