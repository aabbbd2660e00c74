package dev.coemesh.bench.gateway;

import dev.coemesh.core.slo.PoissonArrivals;
import dev.coemesh.pool.openai.ChatMessage;
import dev.coemesh.pool.openai.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Multi-turn chat: {@code sessions} conversations of {@code turns} user turns each, every one
 * opening with the same long system prompt, each turn sending the whole history (earlier user turns
 * and the answers the mesh gave). Requests arrive as a seeded Poisson process, and each arrival is
 * the next turn of a session drawn at random (seeded) among those with turns left, so sessions
 * interleave as independent users do (a fixed cycle over an even number of sessions would hand a
 * round-robin balancer session affinity for free). A turn whose previous answer has not come back
 * by its arrival is sent when it does (a user cannot answer what they have not read): counted as
 * deferred, its timings measured from when it was sent.
 *
 * <p>Everything a session says is a function of the seed, and answers are greedy, so two runs of
 * the same workload send the same prompts whatever the placement.
 */
final class ChatSessions {
  /** One turn's outcome. */
  record Result(int session, int turn, boolean deferred, ChatClient.Outcome outcome) {}

  static final String SYSTEM_PROMPT =
      """
      You are Juniper, the support assistant of Northwind Outfitters, an online shop for hiking, \
      camping and climbing gear. Answer in a friendly, concise tone. Always check the order number \
      before discussing an order; order numbers look like NW-123456. Shipping is free above 75 \
      euros; standard delivery takes 3 to 5 working days, express 1 to 2. Returns are accepted \
      within 30 days if the item is unused and in its original packaging; sale items can be \
      exchanged but not refunded. Tents and sleeping bags carry a two year warranty, footwear one \
      year. Never promise a delivery date or share another customer's data. When you do not know an answer, say so and offer to open a ticket with the product \
      team. Keep every answer under one hundred words and end with a question when it helps.""";

  private static final String[] WORDS = {
    "tent",
    "boots",
    "order",
    "delivery",
    "refund",
    "size",
    "jacket",
    "rain",
    "warranty",
    "stove",
    "backpack",
    "strap",
    "broken",
    "exchange",
    "colour",
    "express",
    "invoice",
    "address",
    "sleeping",
    "bag",
    "zip",
    "torn",
    "rope",
    "harness",
    "helmet",
    "gloves",
    "winter",
    "summer",
    "trip",
    "weekend",
    "alps",
    "lake",
    "trail",
    "store",
    "discount",
    "coupon",
    "parcel",
    "late"
  };

  private final int sessions;
  private final int turns;
  private final int userChars;
  private final int maxTokens;
  private final String model;

  ChatSessions(int sessions, int turns, int userChars, int maxTokens, String model) {
    if (sessions < 1 || turns < 1 || userChars < 10 || maxTokens < 1) {
      throw new IllegalArgumentException("sessions, turns, max tokens >= 1 and user chars >= 10");
    }
    this.sessions = sessions;
    this.turns = turns;
    this.userChars = userChars;
    this.maxTokens = maxTokens;
    this.model = model;
  }

  int requests() {
    return sessions * turns;
  }

  /** A user turn of about {@code userChars} characters, a function of its coordinates. */
  String userTurn(long seed, int session, int turn) {
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + session * 1_009L + turn);
    StringBuilder sb = new StringBuilder();
    sb.append(
        turn == 0 ? "Hello, this is customer " + random.nextInt(100_000, 1_000_000) + ". " : "");
    while (sb.length() < userChars) {
      String w = WORDS[random.nextInt(WORDS.length)];
      sb.append(sb.isEmpty() || sb.charAt(sb.length() - 2) == '.' ? capitalise(w) : w);
      sb.append(random.nextInt(8) == 0 ? ". " : " ");
    }
    return sb.toString().strip() + "?";
  }

  private static String capitalise(String w) {
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }

  /**
   * Runs the workload at {@code rate} requests/s against {@code client}; waits for stragglers at
   * most {@code drain} after the last arrival (turns still open then are missing from the results
   * and count against the SLO).
   */
  List<Result> run(ChatClient client, double rate, long seed, Duration drain)
      throws InterruptedException {
    int n = requests();
    double[] offsets = PoissonArrivals.offsetsMs(n, rate, seed);
    int[] order = new int[n]; // order[k]: the session of arrival k; its i-th arrival is turn i
    for (int k = 0; k < n; k++) {
      order[k] = k % sessions;
    }
    SplittableRandom shuffle = new SplittableRandom(seed ^ 0x5eed);
    for (int k = n - 1; k > 0; k--) {
      int j = shuffle.nextInt(k + 1);
      int t = order[k];
      order[k] = order[j];
      order[j] = t;
    }
    int[] nextTurn = new int[sessions];
    List<List<ChatMessage>> history = new ArrayList<>();
    List<CompletableFuture<Void>> last = new ArrayList<>();
    for (int s = 0; s < sessions; s++) {
      history.add(new ArrayList<>(List.of(new ChatMessage(Role.SYSTEM, SYSTEM_PROMPT))));
      last.add(CompletableFuture.completedFuture(null));
    }
    List<Result> results = new ArrayList<>();
    AtomicInteger open = new AtomicInteger(n);
    // platform threads: the worker processes' output readers are virtual threads blocked in pipe
    // reads, which hold the carriers of a small machine and would starve virtual senders
    try (ExecutorService senders = Executors.newCachedThreadPool()) {
      long start = System.nanoTime();
      for (int k = 0; k < n; k++) {
        long wait = start + (long) (offsets[k] * 1e6) - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        int s = order[k];
        int turn = nextTurn[s]++;
        boolean deferred = !last.get(s).isDone();
        String user = userTurn(seed, s, turn);
        last.set(
            s,
            last.get(s)
                .thenRunAsync(
                    () -> {
                      List<ChatMessage> h = history.get(s);
                      h.add(new ChatMessage(Role.USER, user));
                      ChatClient.Outcome o = client.complete(model, List.copyOf(h), maxTokens);
                      h.add(
                          new ChatMessage(
                              Role.ASSISTANT,
                              o instanceof ChatClient.Outcome.Answered a ? a.text() : ""));
                      synchronized (results) {
                        results.add(new Result(s, turn, deferred, o));
                      }
                      open.decrementAndGet();
                    },
                    senders));
      }
      try {
        CompletableFuture.allOf(last.toArray(CompletableFuture[]::new))
            .get(drain.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        System.out.printf(
            "  %d turns still open after the drain; counted as missing%n", open.get());
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
      senders.shutdownNow();
    }
    synchronized (results) {
      return List.copyOf(results);
    }
  }
}
