package dev.coemesh.gateway.testing;

import dev.coemesh.core.spi.SignalBus;
import dev.coemesh.router.Router;
import dev.coemesh.router.classify.Embedder;
import dev.coemesh.router.config.RoutingConfigLoader;
import io.opentelemetry.api.OpenTelemetry;

/**
 * A CoE router for unit tests outside the app, over a word-hashing embedder: the MiniLM embedder's
 * native tokenizer library can be loaded by one class loader per JVM only, and the
 * {@code @QuarkusTest} classes of the same run load it in the app's. Classification itself is
 * tested with the real embedder in the router module and through the app (RoutingApiTest).
 */
public final class TestRouting {
  private TestRouting() {}

  /** Unit vectors from hashed lower-case words: equal texts embed equally, as the contract asks. */
  static final class WordHashEmbedder implements Embedder {
    private static final int DIMENSION = 64;

    @Override
    public int dimension() {
      return DIMENSION;
    }

    @Override
    public float[] embed(String text) {
      float[] v = new float[DIMENSION];
      for (String word : text.toLowerCase(java.util.Locale.ROOT).split("\\W+")) {
        if (!word.isEmpty()) {
          v[Math.floorMod(word.hashCode(), DIMENSION)] += 1;
        }
      }
      double norm = 0;
      for (float x : v) {
        norm += x * x;
      }
      if (norm == 0) {
        v[0] = 1;
        return v;
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < DIMENSION; i++) {
        v[i] *= inv;
      }
      return v;
    }
  }

  /**
   * A router over one embedded expert {@code expert} (stories260K) that every category routes to,
   * fed with the replica state published on {@code signals}.
   */
  public static Router singleExpert(String expert, SignalBus signals) {
    return singleExpert(expert, signals, "colocated", OpenTelemetry.noop());
  }

  /**
   * As above, with the expert's serving {@code mode}: a disaggregated expert splits every prompt
   * (the decider's threshold is one uncached token), and the router's spans go to {@code
   * openTelemetry}.
   */
  public static Router singleExpert(
      String expert, SignalBus signals, String mode, OpenTelemetry openTelemetry) {
    Router router =
        Router.builder(
                RoutingConfigLoader.parse(
                    "single-expert.yaml",
                    """
                    version: 1
                    disaggregate_at_tokens: %d
                    experts:
                      - name: %s
                        source: {type: embedded, model: stories260K.bin, tokenizer: tok512.bin}
                        mode: %s
                    routes: {story: %s, chat: %s}
                    fallback_expert: %s
                    categories:
                      - name: story
                        examples: [Once upon a time, Tell me a story., Write a fairy tale.]
                      - name: chat
                        examples: [Hello there, How are you today, Nice weather]
                    """
                        .formatted(
                            mode.equals("disaggregated") ? 1 : 256,
                            expert,
                            mode,
                            expert,
                            expert,
                            expert)),
                new WordHashEmbedder())
            .openTelemetry(openTelemetry)
            .build();
    router.subscribe(signals);
    return router;
  }
}
