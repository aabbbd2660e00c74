package dev.coemesh.kv.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import java.util.List;
import org.junit.jupiter.api.Test;

class CalibratedTablesTest {
  private static final ModelFingerprint MODEL = new ModelFingerprint(77);

  @Test
  void calibratedTablesShrinkSmallChunksAndDecodeWithinTheBound() {
    List<KvTensor> calibration =
        List.of(CacheGenCodecTest.sample(5, 200, 32, 10), CacheGenCodecTest.sample(5, 200, 32, 11));
    TableRegistry registry = new TableRegistry();
    CodecTables tables = CodecTables.calibrate(calibration, CodecLevel.LEVEL_2);
    registry.register(MODEL, tables);
    CacheGenCodec calibrated = new CacheGenCodec(registry);
    CacheGenCodec inline = new CacheGenCodec();
    KvTensor chunk = CacheGenCodecTest.sample(5, 40, 32, 12); // a short prompt's KV
    byte[] small = calibrated.encode(chunk, 2, MODEL);
    byte[] big = inline.encode(chunk, 2, MODEL);
    assertTrue(small.length * 2 < big.length, small.length + " vs " + big.length);
    CacheGenCodecTest.assertWithinQuantizationBound(
        chunk, calibrated.decode(small, MODEL), CodecLevel.LEVEL_2, tables.means());
    // a node without the table cannot decode, and says why
    MeshException e = assertThrows(MeshException.class, () -> inline.decode(small, MODEL));
    assertEquals(ErrorCode.KV_CORRUPT, e.code());
    assertTrue(e.getMessage().contains("does not have"), e.getMessage());
    // levels without a registered table fall back to inline tables
    assertEquals(inline.encode(chunk, 3, MODEL).length, calibrated.encode(chunk, 3, MODEL).length);
  }

  @Test
  void tableIdsAreContentHashes() {
    List<KvTensor> samples = List.of(CacheGenCodecTest.sample(2, 50, 16, 1));
    assertEquals(
        CodecTables.calibrate(samples, CodecLevel.LEVEL_1).id(),
        CodecTables.calibrate(samples, CodecLevel.LEVEL_1).id());
    assertTrue(
        CodecTables.calibrate(samples, CodecLevel.LEVEL_1).id()
            != CodecTables.calibrate(samples, CodecLevel.LEVEL_2).id());
  }
}
