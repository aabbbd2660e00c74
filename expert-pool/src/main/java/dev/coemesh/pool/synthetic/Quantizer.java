package dev.coemesh.pool.synthetic;

import dev.coemesh.pool.model.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes float values into a {@link TensorType}'s bytes: F16/BF16/Q8_0/Q4_0 with ggml's rounding
 * rules, the other block types with our own encoders ({@link BlockEncoder}).
 */
public final class Quantizer {
  private Quantizer() {}

  private static void blocks(float[] values, int size, java.util.function.IntConsumer block) {
    for (int b = 0; b < values.length; b += size) {
      block.accept(b);
    }
  }

  public static byte[] encode(float[] values, TensorType type) {
    ByteBuffer out =
        ByteBuffer.allocate(Math.toIntExact(type.bytesFor(values.length)))
            .order(ByteOrder.LITTLE_ENDIAN);
    switch (type) {
      case F32 -> out.asFloatBuffer().put(values);
      case F16 -> {
        for (float v : values) {
          out.putShort(Float.floatToFloat16(v));
        }
      }
      case BF16 -> {
        for (float v : values) {
          int bits = Float.floatToRawIntBits(v);
          int rounded = bits + 0x7FFF + ((bits >>> 16) & 1); // round to nearest even
          out.putShort((short) (rounded >>> 16));
        }
      }
      case Q8_0 -> {
        for (int b = 0; b < values.length; b += 32) {
          float amax = 0;
          for (int i = 0; i < 32; i++) {
            amax = Math.max(amax, Math.abs(values[b + i]));
          }
          float d = amax / 127f;
          float id = d != 0 ? 1f / d : 0f;
          out.putShort(Float.floatToFloat16(d));
          for (int i = 0; i < 32; i++) {
            out.put((byte) Math.round(values[b + i] * id));
          }
        }
      }
      case Q4_0 -> {
        for (int b = 0; b < values.length; b += 32) {
          float amax = 0;
          float max = 0;
          for (int i = 0; i < 32; i++) {
            if (Math.abs(values[b + i]) > amax) {
              amax = Math.abs(values[b + i]);
              max = values[b + i];
            }
          }
          float d = max / -8f;
          float id = d != 0 ? 1f / d : 0f;
          out.putShort(Float.floatToFloat16(d));
          for (int i = 0; i < 16; i++) {
            int q0 = Math.min(15, (int) (values[b + i] * id + 8.5f));
            int q1 = Math.min(15, (int) (values[b + 16 + i] * id + 8.5f));
            out.put((byte) (q0 | (q1 << 4)));
          }
        }
      }
      case Q4_1 -> blocks(values, 32, b -> BlockEncoder.q4_1or5_1(values, b, 15, out));
      case Q5_0 -> blocks(values, 32, b -> BlockEncoder.q5_0(values, b, out));
      case Q5_1 -> blocks(values, 32, b -> BlockEncoder.q4_1or5_1(values, b, 31, out));
      case Q2_K -> blocks(values, 256, b -> BlockEncoder.q2K(values, b, out));
      case Q3_K -> blocks(values, 256, b -> BlockEncoder.q3K(values, b, out));
      case Q4_K -> blocks(values, 256, b -> BlockEncoder.q4Kor5K(values, b, 15, out));
      case Q5_K -> blocks(values, 256, b -> BlockEncoder.q4Kor5K(values, b, 31, out));
      case Q6_K -> blocks(values, 256, b -> BlockEncoder.q6K(values, b, out));
    }
    return out.array();
  }
}
