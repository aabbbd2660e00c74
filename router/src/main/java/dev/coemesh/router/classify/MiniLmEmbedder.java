package dev.coemesh.router.classify;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;

/**
 * all-MiniLM-L6-v2 (int8-quantized, 384 dimensions, mean pooling) run in process by ONNX Runtime;
 * the model and tokenizer files come from the langchain4j jar, so nothing is downloaded.
 *
 * <p>The session runs each call on the calling thread with {@code intraOpThreads} threads: one
 * thread per call gives the lowest tail latency when several requests embed at once on few cores
 * (measured by {@code ./mesh bench router}). Long prompts are clipped to their head and tail (where
 * the task and the question usually are) so one decision costs a bounded time.
 */
public final class MiniLmEmbedder implements Embedder, AutoCloseable {
  public static final int DIMENSION = 384;

  /** Characters kept from a long prompt; about 120 word-piece tokens of English. */
  public static final int DEFAULT_MAX_CHARS = 600;

  private static final String MODEL = "/all-minilm-l6-v2-q.onnx";
  private static final String TOKENIZER = "/all-minilm-l6-v2-q-tokenizer.json";

  /** Exposes the encoder through langchain4j's public embedding API on the caller's thread. */
  private static final class Model extends AbstractInProcessEmbeddingModel {
    private final OnnxBertBiEncoder encoder;

    Model(OnnxBertBiEncoder encoder) {
      super(Runnable::run);
      this.encoder = encoder;
    }

    @Override
    protected OnnxBertBiEncoder model() {
      return encoder;
    }

    @Override
    protected Integer knownDimension() {
      return DIMENSION;
    }
  }

  private final OrtSession session;
  private final Model model;
  private final int maxChars;

  public MiniLmEmbedder() {
    this(1, DEFAULT_MAX_CHARS);
  }

  public MiniLmEmbedder(int intraOpThreads, int maxChars) {
    if (intraOpThreads < 1 || maxChars < 16) {
      throw new IllegalArgumentException("intra-op threads >= 1 and max chars >= 16 required");
    }
    this.maxChars = maxChars;
    try (InputStream onnx = resource(MODEL);
        InputStream tokenizer = resource(TOKENIZER);
        OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      this.session = env.createSession(onnx.readAllBytes(), options);
      this.model = new Model(new OnnxBertBiEncoder(env, session, tokenizer, PoolingMode.MEAN));
    } catch (IOException | OrtException e) {
      throw new MeshException(
          ErrorCode.MODEL_FILE_INVALID, "cannot load the MiniLM embedding model: " + e, e);
    }
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  @Override
  public float[] embed(String text) {
    float[] v;
    try {
      v = model.embed(clip(text, maxChars)).content().vector();
    } catch (RuntimeException e) {
      throw new MeshException(ErrorCode.INTERNAL, "prompt embedding failed: " + e.getMessage(), e);
    }
    return Vectors.normalize(v);
  }

  /** The first three quarters and the last quarter of {@code maxChars} of a long text. */
  static String clip(String text, int maxChars) {
    if (text.length() <= maxChars) {
      return text;
    }
    int tail = maxChars / 4;
    int head = maxChars - tail;
    return text.substring(0, head) + " … " + text.substring(text.length() - tail);
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = AllMiniLmL6V2QuantizedEmbeddingModel.class.getResourceAsStream(name);
    if (in == null) {
      throw new IOException(name + " is not on the class path");
    }
    return in;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new MeshException(ErrorCode.INTERNAL, "cannot close the embedding session", e);
    }
  }
}
