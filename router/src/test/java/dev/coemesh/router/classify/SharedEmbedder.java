package dev.coemesh.router.classify;

/**
 * One real MiniLM embedder for every test class in the JVM (it takes about a second to load and is
 * thread-safe).
 */
public final class SharedEmbedder {
  private static MiniLmEmbedder instance;

  private SharedEmbedder() {}

  public static synchronized MiniLmEmbedder get() {
    if (instance == null) {
      instance = new MiniLmEmbedder();
    }
    return instance;
  }
}
