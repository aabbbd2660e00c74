package dev.coemesh.bench.codec;

import dev.coemesh.bench.engine.EngineBench;
import dev.coemesh.core.kv.KvTensor;
import dev.coemesh.core.kv.ModelFingerprint;
import dev.coemesh.core.model.SharedModels;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.spi.KvCodec;
import dev.coemesh.core.tenant.TenantId;
import dev.coemesh.kv.codec.CacheGenCodec;
import dev.coemesh.kv.codec.CodecLevel;
import dev.coemesh.kv.codec.CodecTables;
import dev.coemesh.kv.codec.TableRegistry;
import dev.coemesh.kv.store.RedisKvStore;
import dev.coemesh.pool.cli.Args;
import dev.coemesh.pool.engine.EngineOptions;
import dev.coemesh.pool.engine.LlamaEngine;
import dev.coemesh.pool.model.Model;
import dev.coemesh.pool.model.ModelLoader;
import dev.coemesh.pool.sampler.Sampler;
import dev.coemesh.pool.synthetic.SyntheticModel;
import dev.coemesh.pool.worker.CodecCalibration;
import dev.coemesh.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.Deflater;

/**
 * {@code ./mesh bench codec}: the CacheGen codec on KV produced by the real stories260K model over
 * varied story prompts (size per level against fp16, the 8-bit per-token quantizer and deflate of
 * fp16; greedy agreement and KL divergence with reconstructed KV), speed on the stories15M shape,
 * and a Redis handoff of a 2,048-token 15M-shape KV (fp16 vs level 2) against a real redis-server.
 */
public final class CodecBench {
  private static final Set<String> OPTIONS = Set.of("out", "generate", "repeats");
  static final String[] PROMPTS = {
    "Once upon a time",
    "Tom and his dog went to the park",
    "Lily wanted to bake a cake for her mom",
    "The little bird could not fly",
    "One day, a big storm came to the town",
    "Sam found a shiny rock",
    "Anna and Ben were playing with blocks",
    "The old man had a small boat",
    "There was a red car in the garden",
    "Mia was sad because her toy was broken",
    "The sun was hot and the children wanted ice cream",
    "A tiny mouse lived in a big house",
    "Max liked to jump in the puddles",
    "The princess had a magic box",
    "Sue and her brother went to the beach",
    "The cat saw a fish in the pond",
    "Grandma told a story about a bear",
    "The boy lost his blue ball",
    "It was a cold night and the stars were bright",
    "Lucy had a new friend at school",
    "The frog wanted to sing a song",
    "Jack climbed the tall tree",
  };

  /**
   * Story prompts written after the levels were chosen on {@link #PROMPTS}, never used to choose
   * anything: agreement here shows whether the levels hold beyond the prompts they were tuned on.
   */
  static final String[] HELDOUT_PROMPTS = {
    "The girl found a little kitten under the tree",
    "Tim wanted to fly a big red kite",
    "Once upon a time, there was a lazy cat",
    "The baby duck could not find its mom",
    "Ben and Lily went to see the animals at the zoo",
    "A kind old lady gave the boy an apple",
    "The rain would not stop, so the children stayed inside",
    "Sara had a yellow balloon",
    "The fox was hungry and looked for food",
    "Mom made soup for dinner",
    "The little train went up the hill",
    "Joe saw a rainbow in the sky",
    "The dog barked at the mailman",
    "Amy drew a picture of her family",
    "The bunny hopped into the garden",
    "Dad fixed the broken chair",
    "The children built a sand castle",
    "A big fish jumped out of the water",
    "Lily and her friend shared their toys",
    "The owl said hello to the moon",
    "The boy was scared of the dark",
    "Once there was a tiny seed in the ground",
    "The queen had a shiny crown",
    "Bob the bear liked honey",
    "The bird sang a happy song in the morning",
    "Tom wanted to be a doctor",
    "The snow was soft and white",
    "A little girl named Zoe loved to dance",
    "The farmer had many cows",
    "Nick lost his shoe at the park",
  };

  private CodecBench() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv, OPTIONS);
    int generate = args.integer("generate", 64);
    CacheGenCodec codec = new CacheGenCodec();
    Model stories =
        ModelLoader.load(
            SharedModels.file(SharedModels.STORIES_260K_BIN),
            SharedModels.file(SharedModels.STORIES_260K_TOKENIZER));
    ModelFingerprint fp = stories.fingerprint();
    // tables calibrated on separate prompts, as a worker does at start-up
    TableRegistry registry = new TableRegistry();
    for (CodecTables tables : CodecCalibration.calibrate(stories, generate)) {
      registry.register(fp, tables);
    }
    CacheGenCodec inline = codec;
    codec = new CacheGenCodec(registry);
    // speed and table overhead on the stories15M shape (synthetic KV with per-channel structure),
    // with tables calibrated on its last 1,024 tokens (as a worker calibrates on its model's KV)
    // and with inline tables; measured first, while the JIT's profile is of this shape only (a
    // worker's codec sees one model's chunks; the stories260K runs below would skew it)
    int layers = SyntheticModel.STORIES_15M.layers();
    int kvDim = SyntheticModel.STORIES_15M.kvDim();
    KvTensor big = syntheticKv(layers, 2048, kvDim, 9);
    ModelFingerprint fp15 = new ModelFingerprint(15);
    registry.register(
        fp15, CodecTables.calibrate(List.of(big.slice(1024, 2048)), CodecLevel.LEVEL_2));
    KvTensor chunk256 = big.slice(0, 256);
    int repeats = args.integer("repeats", 5);
    Speed speed = speed(codec, chunk256, fp15, 4 * repeats);
    Speed inlineSpeed = speed(inline, chunk256, fp15, 4 * repeats);
    double bits256 = codec.encode(chunk256, 2, fp15).length * 8.0 / chunk256.elementCount();
    double bits1024 =
        codec.encode(big.slice(0, 1024), 2, fp15).length * 8.0 / (4 * chunk256.elementCount());
    byte[] inline256 = inline.encode(chunk256, 2, fp15);
    double inlineBits256 = inline256.length * 8.0 / chunk256.elementCount();
    double inlineBits1024 =
        inline.encode(big.slice(0, 1024), 2, fp15).length * 8.0 / (4 * chunk256.elementCount());
    double tableShare256 =
        (double) CodecTables.bodyBytes(layers, kvDim, CodecLevel.LEVEL_2, 1) / inline256.length;
    double[] inlineBits = new double[4];
    long acBytes = 0;
    long ransBytes = 0;
    double acMs = 0;
    double ransMs = 0;
    long plainBytes = 0;
    long anchorBytes = 0;
    double plainMse = 0;
    double anchorMse = 0;

    double[] bits = new double[4];
    double int8Bits = 0;
    double deflateBits = 0;
    double zstdBits = 0; // -1 when zstd is not on the classpath
    long elements = 0;
    double[] agreement = new double[4];
    double[] kl = new double[4];
    double[] heldoutBits = new double[4];
    double[] heldoutAgreement = new double[4];
    double[] heldoutKl = new double[4];
    long heldoutElements = 0;
    try (LlamaEngine engine =
        new LlamaEngine(stories, EngineOptions.defaults().withThreads(1).withKvBlocks(256))) {
      for (String prompt : PROMPTS) {
        int[] tokens = stories.tokenizer().encode(prompt, true);
        // the original: prefill, then greedy generation; record the logits at every step
        Generation original = generate(engine, tokens, generate);
        KvTensor full = original.kv();
        long n = full.elementCount();
        elements += n;
        int c = full.kvDim();
        int8Bits +=
            n * 8.0
                + 2.0
                    * full.layers()
                    * full.tokens()
                    * 16; // symbols + one 16-bit scale per (slot, token), as the reference
        deflateBits += deflatedFp16(full.data()) * 8.0;
        long zstd = zstdFp16(full.data());
        zstdBits = zstd < 0 || zstdBits < 0 ? -1 : zstdBits + zstd * 8.0;
        for (CodecLevel level : CodecLevel.values()) {
          bits[level.id()] += codec.encode(full, level.id(), fp).length * 8.0;
          inlineBits[level.id()] += inline.encode(full, level.id(), fp).length * 8.0;
        }
        CoderComparison.CoderResult coders = CoderComparison.coders(full, CodecLevel.LEVEL_2);
        acBytes += coders.arithmeticBytes();
        ransBytes += coders.ransBytes();
        acMs += coders.arithmeticMs();
        ransMs += coders.ransMs();
        CoderComparison.AnchorResult anchors =
            CoderComparison.anchors(full, CodecLevel.LEVEL_2, 10);
        plainBytes += anchors.plainBytes();
        anchorBytes += anchors.anchorBytes();
        plainMse += anchors.plainMse() / PROMPTS.length;
        anchorMse += anchors.anchorMse() / PROMPTS.length;
        Quality q = quality(engine, codec, fp, tokens, original);
        for (int l = 0; l < 4; l++) {
          agreement[l] += q.agreement()[l];
          kl[l] += q.kl()[l];
        }
      }
      // the same on prompts written after the levels were chosen, never used to choose them
      for (String prompt : HELDOUT_PROMPTS) {
        int[] tokens = stories.tokenizer().encode(prompt, true);
        Generation original = generate(engine, tokens, generate);
        heldoutElements += original.kv().elementCount();
        Quality q = quality(engine, codec, fp, tokens, original);
        for (int l = 0; l < 4; l++) {
          heldoutBits[l] += codec.encode(original.kv(), l, fp).length * 8.0;
          heldoutAgreement[l] += q.agreement()[l] / HELDOUT_PROMPTS.length;
          heldoutKl[l] += q.kl()[l] / HELDOUT_PROMPTS.length;
        }
      }
    }
    int prompts = PROMPTS.length;
    StringBuilder table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "stories260K KV over %d prompts, %d generated tokens each (%d elements)%n",
            prompts,
            generate,
            elements));
    table.append(
        String.format(
            Locale.ROOT,
            "%-10s %12s %14s %12s %12s%n",
            "format",
            "bits/elem",
            "vs int8 (x)",
            "agreement",
            "mean KL"));
    String[] names = {"lossless", "level1", "level2", "level3"};
    for (int l = 0; l < 4; l++) {
      table.append(
          String.format(
              Locale.ROOT,
              "%-10s %12.3f %14.2f %12.4f %12.6f%n",
              names[l],
              bits[l] / elements,
              int8Bits / bits[l],
              agreement[l] / prompts,
              kl[l] / prompts));
    }
    table.append(
        String.format(
            Locale.ROOT, "held-out prompts (%d, never tuned on):%n", HELDOUT_PROMPTS.length));
    for (int l = 1; l < 4; l++) {
      table.append(
          String.format(
              Locale.ROOT,
              "%-10s %12.3f %14.2f %12.4f %12.6f%n",
              names[l],
              heldoutBits[l] / heldoutElements,
              int8Bits / elements / (heldoutBits[l] / heldoutElements),
              heldoutAgreement[l],
              heldoutKl[l]));
    }
    table.append(
        String.format(
            Locale.ROOT,
            "%-10s %12.3f%n%-10s %12.3f%n%-10s %12.3f%n%-10s %12.3f%n",
            "fp16",
            16.0,
            "int8",
            int8Bits / elements,
            "deflate16",
            deflateBits / elements,
            "zstd16",
            zstdBits < 0 ? Double.NaN : zstdBits / elements));

    table.append(
        String.format(
            Locale.ROOT,
            "15M shape, level 2, fp16 input, one thread, calibrated tables: encode %.1f MB/s, decode %.1f MB/s per core (thread CPU time; wall clock %.1f / %.1f MB/s); inline tables: encode %.1f, decode %.1f MB/s%n",
            speed.encode(),
            speed.decode(),
            speed.encodeWall(),
            speed.decodeWall(),
            inlineSpeed.encode(),
            inlineSpeed.decode()));
    table.append(
        String.format(
            Locale.ROOT,
            "15M shape, level 2 bits/elem: calibrated %.3f at 256-token chunks, %.3f at 1024; inline %.3f at 256 (tables %.1f%% of the blob), %.3f at 1024%n",
            bits256,
            bits1024,
            inlineBits256,
            100 * tableShare256,
            inlineBits1024));

    // Redis handoff of a 2,048-token KV: raw fp16 vs level 2, 256-token chunks, write + read
    double fp16Ms;
    double level2Ms;
    double level2CodecMs;
    try (RedisServer redis = RedisServer.startNew();
        RedisKvStore store = new RedisKvStore(redis.uri(), Duration.ofSeconds(10))) {
      List<byte[]> raw = new ArrayList<>();
      List<byte[]> encoded = new ArrayList<>();
      long c0 = System.nanoTime();
      for (int t = 0; t < 2048; t += 256) {
        KvTensor part = big.slice(t, t + 256);
        raw.add(fp16(part.data()));
        encoded.add(codec.encode(part, 2, fp15));
      }
      long c1 = System.nanoTime();
      for (byte[] e : encoded) {
        codec.decode(e, fp15);
      }
      level2CodecMs = (System.nanoTime() - c1 + (c1 - c0)) / 1e6;
      fp16Ms = handoff(store, raw, repeats);
      level2Ms = handoff(store, encoded, repeats);
    }
    table.append(
        String.format(
            Locale.ROOT,
            "Redis handoff, 2048 tokens of the 15M shape: fp16 %.2f ms, level 2 %.2f ms (transfer only; +%.1f ms encode+decode)%n",
            fp16Ms,
            level2Ms,
            level2CodecMs));
    table.append(
        String.format(
            Locale.ROOT,
            "with inline tables instead of calibrated ones: level1 %.3f, level2 %.3f, level3 %.3f bits/elem%n",
            inlineBits[1] / elements,
            inlineBits[2] / elements,
            inlineBits[3] / elements));
    table.append(
        String.format(
            Locale.ROOT,
            "coders on the same level-2 streams: arithmetic %d bytes in %.1f ms, rANS %d bytes (%.2f%%) in %.1f ms (encode+decode)%n",
            acBytes,
            acMs,
            ransBytes,
            100.0 * ransBytes / acBytes,
            ransMs));
    table.append(
        String.format(
            Locale.ROOT,
            "token-delta (anchor every 10 tokens), level 2 inline: %d bytes vs plain %d (%.2fx), MSE %.3g vs %.3g%n",
            anchorBytes,
            plainBytes,
            (double) anchorBytes / plainBytes,
            anchorMse,
            plainMse));
    System.out.print(table);

    String json =
        String.format(
            Locale.ROOT,
            """
        {
          "prompts": %d, "generated_tokens": %d, "model": "stories260K",
          "bits_per_element": {"level1": %.4f, "level2": %.4f, "level3": %.4f, "lossless": %.4f, "fp16": 16, "int8": %.4f, "zstd": %s, "deflate_fp16": %.4f},
          "bits_per_element_inline_tables": {"level1": %.4f, "level2": %.4f, "level3": %.4f},
          "tables": "calibrated per model on %d separate prompts",
          "level2_vs_int8": %.3f,
          "greedy_agreement": {"level1": %.4f, "level2": %.4f, "level3": %.4f, "lossless": %.4f},
          "kl": {"level1": %.6f, "level2": %.6f, "level3": %.6f, "lossless": %.6f},
          "heldout": {"prompts": %d, "bits_per_element": {"level1": %.4f, "level2": %.4f, "level3": %.4f}, "greedy_agreement": {"level1": %.4f, "level2": %.4f, "level3": %.4f}, "kl": {"level1": %.6f, "level2": %.6f, "level3": %.6f}},
          "encode_mb_s": %.2f, "decode_mb_s": %.2f, "speed_basis": "one thread, thread CPU time, 15M shape, 256-token chunk, level 2, calibrated tables, MB of fp16 input",
          "encode_mb_s_wall": %.2f, "decode_mb_s_wall": %.2f,
          "encode_mb_s_inline_tables": %.2f, "decode_mb_s_inline_tables": %.2f,
          "table_overhead_256_fraction": %.4f, "bits_per_element_15m": {"chunk256": %.4f, "chunk1024": %.4f, "chunk256_inline_tables": %.4f, "chunk1024_inline_tables": %.4f},
          "redis_handoff_ms": {"fp16": %.3f, "level2": %.3f, "level2_codec_ms": %.3f},
          "rans_vs_ac": {"ac_bytes": %d, "rans_bytes": %d, "size_ratio": %.4f, "ac_ms": %.2f, "rans_ms": %.2f},
          "anchor_every_10": {"plain_bytes": %d, "anchor_bytes": %d, "size_ratio": %.4f, "plain_mse": %.6g, "anchor_mse": %.6g}
        }
        """,
            prompts,
            generate,
            bits[1] / elements,
            bits[2] / elements,
            bits[3] / elements,
            bits[0] / elements,
            int8Bits / elements,
            zstdBits < 0 ? "null" : String.format(Locale.ROOT, "%.4f", zstdBits / elements),
            deflateBits / elements,
            inlineBits[1] / elements,
            inlineBits[2] / elements,
            inlineBits[3] / elements,
            CodecCalibration.PROMPTS.size(),
            int8Bits / bits[2],
            agreement[1] / prompts,
            agreement[2] / prompts,
            agreement[3] / prompts,
            agreement[0] / prompts,
            kl[1] / prompts,
            kl[2] / prompts,
            kl[3] / prompts,
            kl[0] / prompts,
            HELDOUT_PROMPTS.length,
            heldoutBits[1] / heldoutElements,
            heldoutBits[2] / heldoutElements,
            heldoutBits[3] / heldoutElements,
            heldoutAgreement[1],
            heldoutAgreement[2],
            heldoutAgreement[3],
            heldoutKl[1],
            heldoutKl[2],
            heldoutKl[3],
            speed.encode(),
            speed.decode(),
            speed.encodeWall(),
            speed.decodeWall(),
            inlineSpeed.encode(),
            inlineSpeed.decode(),
            tableShare256,
            bits256,
            bits1024,
            inlineBits256,
            inlineBits1024,
            fp16Ms,
            level2Ms,
            level2CodecMs,
            acBytes,
            ransBytes,
            (double) ransBytes / acBytes,
            acMs,
            ransMs,
            plainBytes,
            anchorBytes,
            (double) anchorBytes / plainBytes,
            plainMse,
            anchorMse);
    Path out = Path.of(args.get("out", "target/bench/codec.json"));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, json);
    System.out.println("wrote " + out);
  }

  /** Medians of MB of fp16 input per second, by thread CPU time and by the wall clock. */
  record Speed(double encode, double decode, double encodeWall, double decodeWall) {}

  /**
   * Per core: one thread, timed by its CPU time (what one core delivers) and by the wall clock
   * (lower when other processes share the cores); 10 warm-up runs first.
   */
  static Speed speed(KvCodec codec, KvTensor chunk, ModelFingerprint model, int runs) {
    ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
    List<Double> enc = new ArrayList<>();
    List<Double> dec = new ArrayList<>();
    List<Double> encWall = new ArrayList<>();
    List<Double> decWall = new ArrayList<>();
    double mb = chunk.elementCount() * 2 / 1e6;
    for (int r = -10; r < runs; r++) {
      long c0 = cpu.getCurrentThreadCpuTime();
      long t0 = System.nanoTime();
      byte[] blob = codec.encode(chunk, 2, model);
      long c1 = cpu.getCurrentThreadCpuTime();
      long t1 = System.nanoTime();
      codec.decode(blob, model);
      long c2 = cpu.getCurrentThreadCpuTime();
      long t2 = System.nanoTime();
      if (r >= 0) {
        enc.add(mb / ((c1 - c0) / 1e9));
        dec.add(mb / ((c2 - c1) / 1e9));
        encWall.add(mb / ((t1 - t0) / 1e9));
        decWall.add(mb / ((t2 - t1) / 1e9));
      }
    }
    return new Speed(
        EngineBench.median(enc),
        EngineBench.median(dec),
        EngineBench.median(encWall),
        EngineBench.median(decWall));
  }

  /** Per level (index = level id): greedy agreement and mean KL over the generated positions. */
  record Quality(double[] agreement, double[] kl) {}

  /**
   * The prompt's KV (all but its last token) through the codec at each level, then the generation
   * continued from it, teacher-forced on the original tokens: free-running agreement would diverge
   * after a miss, so agreement counts positions where the restored model's greedy choice equals the
   * original's, and KL is KL(original ‖ restored) of the next-token distributions.
   */
  static Quality quality(
      LlamaEngine engine, KvCodec codec, ModelFingerprint fp, int[] tokens, Generation original) {
    int[] context = Arrays.copyOf(tokens, tokens.length - 1);
    int[] generated = original.tokens();
    double[] agreement = new double[4];
    double[] kl = new double[4];
    for (CodecLevel level : CodecLevel.values()) {
      KvTensor promptKv = original.kv().slice(0, context.length);
      KvTensor restored = codec.decode(codec.encode(promptKv, level.id(), fp), fp);
      int r = engine.newSequence();
      if (context.length > 0) {
        engine.importKv(r, restored, context);
      }
      float[] l = engine.step(new int[] {r}, new int[][] {{tokens[tokens.length - 1]}})[0];
      int same = 0;
      double klSum = 0;
      for (int i = 0; i < generated.length; i++) {
        klSum += kl(original.logits().get(i), l);
        if (Sampler.argmax(l) == generated[i]) {
          same++;
        }
        l = engine.step(new int[] {r}, new int[][] {{generated[i]}})[0];
      }
      engine.free(r);
      agreement[level.id()] = (double) same / generated.length;
      kl[level.id()] = klSum / generated.length;
    }
    return new Quality(agreement, kl);
  }

  /** A greedy continuation: its tokens, the logits before each, and the final KV. */
  record Generation(int[] tokens, List<float[]> logits, KvTensor kv) {}

  static Generation generate(LlamaEngine engine, int[] prompt, int n) {
    int seq = engine.newSequence();
    float[] logits = engine.step(new int[] {seq}, new int[][] {prompt})[0];
    int[] generated = new int[n];
    List<float[]> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(logits);
      generated[i] = Sampler.argmax(logits);
      logits = engine.step(new int[] {seq}, new int[][] {{generated[i]}})[0];
    }
    KvTensor kv = engine.exportKv(seq);
    engine.free(seq);
    return new Generation(generated, all, kv);
  }

  /** Median time to write all chunks and read them back. */
  private static double handoff(RedisKvStore store, List<byte[]> chunks, int repeats)
      throws Exception {
    List<Double> times = new ArrayList<>();
    TenantId tenant = new TenantId("bench");
    for (int r = 0; r <= repeats; r++) {
      RequestId id = RequestId.random();
      long t0 = System.nanoTime();
      store.putChunks(tenant, id, chunks, Duration.ofSeconds(60)).get();
      var reads = new ArrayList<java.util.concurrent.CompletableFuture<byte[]>>();
      for (int i = 0; i < chunks.size(); i++) {
        reads.add(store.getChunk(tenant, id, i));
      }
      for (var f : reads) {
        f.get();
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      store.delete(tenant, id, chunks.size()).get();
      if (r > 0) {
        times.add(ms);
      }
    }
    return EngineBench.median(times);
  }

  private static double kl(float[] p, float[] q) {
    double[] lp = logSoftmax(p);
    double[] lq = logSoftmax(q);
    double sum = 0;
    for (int i = 0; i < lp.length; i++) {
      sum += Math.exp(lp[i]) * (lp[i] - lq[i]);
    }
    return Math.max(0, sum);
  }

  private static double[] logSoftmax(float[] x) {
    double log = Sampler.logSumExp(x);
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] - log;
    }
    return out;
  }

  static byte[] fp16(float[] data) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : data) {
      b.putShort(Float.floatToFloat16(v));
    }
    return b.array();
  }

  /**
   * Bytes of zstd (level 19) of the fp16 bytes, or -1 where zstd is absent. zstd-jni is on this
   * module's runtime classpath (through the Kafka client) but not a compile dependency, so it is
   * reached reflectively rather than adding a dependency for one benchmark figure.
   */
  private static long zstdFp16(float[] data) {
    try {
      Class<?> zstd = Class.forName("com.github.luben.zstd.Zstd");
      byte[] packed =
          (byte[]) zstd.getMethod("compress", byte[].class, int.class).invoke(null, fp16(data), 19);
      return packed.length;
    } catch (ReflectiveOperationException | LinkageError e) {
      return -1;
    }
  }

  private static long deflatedFp16(float[] data) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    deflater.setInput(fp16(data));
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[1 << 16];
    while (!deflater.finished()) {
      out.write(buffer, 0, deflater.deflate(buffer));
    }
    deflater.end();
    return out.size();
  }

  /** KV-like values: a per-(layer, channel) offset and scale plus per-token noise. */
  static KvTensor syntheticKv(int layers, int tokens, int kvDim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    KvTensor kv = KvTensor.zeros(layers, tokens, kvDim);
    float[] d = kv.data();
    for (int l = 0; l < layers; l++) {
      for (int kvi = 0; kvi < 2; kvi++) {
        double[] offset = new double[kvDim];
        double[] spread = new double[kvDim];
        for (int ch = 0; ch < kvDim; ch++) {
          offset[ch] = r.nextGaussian();
          spread[ch] = 0.2 + r.nextDouble();
        }
        for (int t = 0; t < tokens; t++) {
          int o = kv.offset(l, kvi, t);
          for (int ch = 0; ch < kvDim; ch++) {
            d[o + ch] = (float) (offset[ch] + spread[ch] * r.nextGaussian());
          }
        }
      }
    }
    return kv;
  }
}
