package dev.coemesh.core.spi;

import dev.coemesh.core.expert.ExpertId;
import dev.coemesh.core.request.GenerationRequest;
import dev.coemesh.core.request.TokenEvent;
import java.util.function.Consumer;

/**
 * One replica that can serve whole generations of an expert: the embedded engine's scheduler, a
 * prefill/decode pair through the KV store, or an OpenAI-compatible upstream. The gateway and its
 * orchestration talk only to this.
 *
 * <p>Thread-safe. {@link #submit} does not block: events are delivered to the sink, in order, on a
 * backend thread, ending with exactly one {@link TokenEvent.Finished} or {@link TokenEvent.Failed};
 * the sink must not block. Rejections (context too long, no capacity) arrive as a {@code Failed}
 * event or a {@link dev.coemesh.core.error.MeshException} thrown by {@code submit}.
 */
public interface ExpertBackend extends AutoCloseable {

  ExpertId expert();

  /** Maximum prompt plus generated tokens of one sequence. */
  int contextLength();

  /** Tokens the prompt occupies, as the model counts them (for validation and fair charging). */
  int countTokens(String prompt);

  /** What the replica can take now, for admission and routing. */
  Capacity capacity();

  /** Starts a generation; cancelling the returned handle frees its resources at once. */
  Generation submit(GenerationRequest request, Consumer<TokenEvent> sink);

  @Override
  void close();

  /** A running generation. */
  interface Generation {
    /** Stops the generation; the sink then receives {@code Finished(CANCELLED)} unless done. */
    void cancel();
  }

  /**
   * A replica's capacity snapshot.
   *
   * @param freeKvBlocks KV-cache blocks free now
   * @param totalKvBlocks KV-cache blocks in the pool
   * @param runningSequences sequences in the running batch
   * @param waitingSequences sequences admitted but waiting for blocks or a batch slot
   * @param maxRunningSequences batch slots
   */
  record Capacity(
      int freeKvBlocks,
      int totalKvBlocks,
      int runningSequences,
      int waitingSequences,
      int maxRunningSequences) {}
}
