package dev.coemesh.pool.worker;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.SamplingParams;
import dev.coemesh.core.request.TokenEvent;
import dev.coemesh.core.spi.ExpertBackend;
import dev.coemesh.pool.scheduler.SequenceReplica;
import dev.coemesh.pool.scheduler.SequenceRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Client-side orchestration of one generation over replicas, with failover: when the serving
 * replica fails mid-stream (it died, shut down, lost its engine), the sequence resumes on the next
 * replica from the last token the client received. The new replica gets those tokens as resume
 * tokens, so it continues the same sequence (greedy and seeded sampling alike) and its token
 * indices start where the client's stream stopped: no duplicate and no missing token.
 *
 * <p>Thread-safe; events reach the client sink in order, from whichever replica thread serves.
 */
public final class GenerationOrchestrator {
  /** Failures after which another replica may succeed; client mistakes are not retried. */
  private static final Set<ErrorCode> RETRYABLE =
      Set.of(
          ErrorCode.NO_HEALTHY_REPLICA,
          ErrorCode.INTERNAL,
          ErrorCode.CAPACITY_EXHAUSTED,
          ErrorCode.KV_STORE_UNAVAILABLE);

  private final List<SequenceReplica> replicas;
  private final int maxAttempts;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicInteger failovers = new AtomicInteger();

  public GenerationOrchestrator(List<SequenceReplica> replicas, int maxAttempts) {
    if (replicas.isEmpty() || maxAttempts < 1) {
      throw new IllegalArgumentException("need at least one replica and one attempt");
    }
    this.replicas = List.copyOf(replicas);
    this.maxAttempts = maxAttempts;
  }

  /** Streams resumed on another replica since start. */
  public int failovers() {
    return failovers.get();
  }

  public ExpertBackend.Generation generate(
      int[] prompt, SamplingParams sampling, Consumer<TokenEvent> client) {
    Attempts attempts = new Attempts(prompt, sampling, client);
    attempts.start(next.getAndIncrement() % replicas.size());
    return attempts::cancel;
  }

  /** One generation's attempts. Guarded by its monitor: events and failover do not interleave. */
  private final class Attempts {
    private final int[] prompt;
    private final SamplingParams sampling;
    private final Consumer<TokenEvent> client;
    private final List<Integer> delivered = new ArrayList<>();
    private int attempt;
    private int replica;
    private ExpertBackend.Generation current;
    private boolean cancelled;
    private boolean done;

    Attempts(int[] prompt, SamplingParams sampling, Consumer<TokenEvent> client) {
      this.prompt = prompt;
      this.sampling = sampling;
      this.client = client;
    }

    synchronized void start(int replicaIndex) {
      replica = replicaIndex;
      attempt++;
      int[] resume = delivered.stream().mapToInt(Integer::intValue).toArray();
      int myAttempt = attempt;
      try {
        current =
            replicas
                .get(replica)
                .submit(new SequenceRequest(prompt, sampling, resume), e -> onEvent(myAttempt, e));
      } catch (MeshException e) {
        onEvent(myAttempt, new TokenEvent.Failed(e.code(), e.getMessage()));
      }
    }

    synchronized void onEvent(int fromAttempt, TokenEvent event) {
      if (done || fromAttempt != attempt) {
        return; // a late event of an abandoned attempt
      }
      switch (event) {
        case TokenEvent.Token t -> {
          if (t.index() != delivered.size()) {
            return; // defensive: never deliver a duplicate or out-of-order token
          }
          delivered.add(t.tokenId());
          client.accept(t);
        }
        case TokenEvent.Finished f -> {
          done = true;
          client.accept(f);
        }
        case TokenEvent.Failed f -> {
          if (!cancelled && RETRYABLE.contains(f.code()) && attempt < maxAttempts) {
            failovers.incrementAndGet();
            start((replica + 1) % replicas.size());
          } else {
            done = true;
            client.accept(f);
          }
        }
      }
    }

    synchronized void cancel() {
      cancelled = true;
      if (current != null) {
        current.cancel();
      }
    }
  }
}
