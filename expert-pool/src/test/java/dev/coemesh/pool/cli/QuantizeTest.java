package dev.coemesh.pool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.coemesh.pool.model.GgufFile;
import dev.coemesh.pool.model.TensorType;
import dev.coemesh.pool.synthetic.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./mesh quantize}'s options. */
class QuantizeTest {
  @Test
  void writesTheFileInTheNamedType(@TempDir Path dir) throws IOException {
    Path in = dir.resolve("in.gguf");
    Path out = dir.resolve("out.gguf");
    new SyntheticModel(SyntheticModel.STORIES_15M, 1).writeGguf(in, TensorType.F32);
    Quantize.run(new String[] {"--in", in.toString(), "--out", out.toString(), "--type", "q5_0"});
    assertEquals(TensorType.Q5_0, GgufFile.read(out).tensor("blk.0.attn_q.weight").type());
  }

  @Test
  void anUnknownTypeNamesTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Quantize.type("Q4_K_M"));
    assertEquals(
        "unknown --type Q4_K_M (known: [F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K,"
            + " Q5_K, Q6_K, BF16])",
        e.getMessage());
  }
}
