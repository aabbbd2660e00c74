package dev.coemesh.gateway.limit;

import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.tenant.TenantId;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The shared limits' Redis calls ({@link LimitScripts}) over one Lettuce connection, on which
 * commands pipeline and keep the order they were issued in. A request waits for its admission at
 * most {@code mesh.limits.redis.timeout}, and a command issued while disconnected is rejected at
 * once rather than queued, so an unreachable store costs at most that timeout; the background calls
 * (releases, renewals, the probe) may take up to the connect timeout. Lettuce reconnects in the
 * background (10 ms, doubling to at most 1 s between tries). Scripts run by their SHA-1 ({@code
 * EVALSHA}); a store that lost them (restarted) gets them again with the failed call's {@code
 * EVAL}.
 */
final class RedisLimitStore implements AutoCloseable {
  /** What the admission script answered. */
  record Admit(
      LimitKind refused,
      long retryMillis,
      long requestsUsed,
      long requestsResetMillis,
      long tokensUsed,
      long tokensResetMillis,
      long inFlight,
      String member) {}

  private record Script(String text, String sha) {
    static Script of(String text) {
      try {
        byte[] sha =
            MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
        return new Script(text, HexFormat.of().formatHex(sha));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is part of every JDK", e);
      }
    }
  }

  private static final Script ADMIT = Script.of(LimitScripts.ADMIT);
  private static final Script RELEASE = Script.of(LimitScripts.RELEASE);
  private static final Script RENEW = Script.of(LimitScripts.RENEW);

  private final RedisURI uri;
  private final String prefix;
  private final Duration timeout;
  private final Duration backgroundTimeout;
  private final ClientResources resources;
  private final RedisClient client;
  private volatile StatefulRedisConnection<String, String> connection;

  RedisLimitStore(String uri, String keyPrefix, Duration timeout, Duration connectTimeout) {
    this.uri = RedisURI.create(uri);
    this.uri.setTimeout(connectTimeout); // the connect; commands have TimeoutOptions
    this.prefix = keyPrefix;
    this.timeout = timeout;
    this.backgroundTimeout = connectTimeout.compareTo(timeout) > 0 ? connectTimeout : timeout;
    this.resources =
        DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(1)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    this.client = RedisClient.create(resources, this.uri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            // the outer bound of every command; a request's admission waits only `timeout`
            .timeoutOptions(TimeoutOptions.enabled(backgroundTimeout))
            .socketOptions(
                SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build())
            .build());
  }

  /** The store's address without credentials, for logs and the status report. */
  String address() {
    return address(uri);
  }

  static String address(RedisURI uri) {
    if (uri.getSocket() != null) {
      return "redis-socket://" + uri.getSocket();
    }
    return (uri.isSsl() ? "rediss://" : "redis://")
        + uri.getHost()
        + ":"
        + uri.getPort()
        + (uri.getDatabase() != 0 ? "/" + uri.getDatabase() : "");
  }

  /**
   * Opens the connection unless it is open (Lettuce then keeps it open, reconnecting after an
   * outage). Blocks up to the connect timeout.
   */
  synchronized void connect() {
    if (connection != null) {
      return;
    }
    try {
      connection = client.connect(StringCodec.UTF8);
    } catch (RuntimeException e) {
      throw new LimitStoreException(
          "cannot connect to " + address() + ": " + e.getMessage(), e, false);
    }
  }

  /** A round trip that proves the store answers, and loads the scripts into it. */
  void ping() {
    RedisAsyncCommands<String, String> c = commands();
    for (Script script : List.of(ADMIT, RELEASE, RENEW)) {
      await(c.scriptLoad(script.text()).toCompletableFuture(), "SCRIPT LOAD", backgroundTimeout);
    }
  }

  /** Runs the admission script; waits at most the timeout. */
  Admit admit(
      TenantId tenant,
      RequestId request,
      long requestsPerMinute,
      long tokensPerMinute,
      int maxConcurrent,
      long reserveTokens,
      long leaseMillis) {
    List<Object> r =
        await(
            run(
                ADMIT,
                ScriptOutputType.MULTI,
                keys(tenant, "requests", "tokens", "leases"),
                Long.toString(requestsPerMinute),
                Long.toString(tokensPerMinute),
                Integer.toString(maxConcurrent),
                Long.toString(Math.max(0, reserveTokens)),
                request.value(),
                Long.toString(leaseMillis)),
            "admission",
            timeout);
    LimitKind refused =
        switch ((int) number(r.get(0))) {
          case 0 -> null;
          case 1 -> LimitKind.REQUESTS;
          case 2 -> LimitKind.TOKENS;
          default -> LimitKind.CONCURRENCY;
        };
    return new Admit(
        refused,
        number(r.get(1)),
        number(r.get(2)),
        number(r.get(3)),
        number(r.get(4)),
        number(r.get(5)),
        number(r.get(6)),
        String.valueOf(r.get(7)));
  }

  /**
   * Ends a lease ({@code member}, or the lease of request id {@code member} when {@code byId}) and
   * refunds what its reservation exceeded {@code usedTokens} by. Completes with whether a lease
   * ended.
   */
  CompletableFuture<Boolean> release(
      TenantId tenant, String member, long usedTokens, boolean byId) {
    return this.<Long>run(
            RELEASE,
            ScriptOutputType.INTEGER,
            keys(tenant, "tokens", "leases"),
            member,
            Long.toString(usedTokens),
            byId ? "1" : "0")
        .thenApply(n -> n != null && n == 1L);
  }

  /** Extends (or restores) the leases {@code members} of one tenant. */
  CompletableFuture<Long> renew(TenantId tenant, List<String> members, long leaseMillis) {
    String[] args = new String[members.size() + 1];
    args[0] = Long.toString(leaseMillis);
    for (int i = 0; i < members.size(); i++) {
      args[i + 1] = members.get(i);
    }
    return run(RENEW, ScriptOutputType.INTEGER, keys(tenant, "leases"), args);
  }

  /** The tenant's keys: {@code <prefix>{<tenant>}:<name>}, one hash tag per tenant. */
  String[] keys(TenantId tenant, String... names) {
    String[] keys = new String[names.length];
    for (int i = 0; i < names.length; i++) {
      keys[i] = prefix + "{" + tenant.value() + "}:" + names[i];
    }
    return keys;
  }

  private <T> CompletableFuture<T> run(
      Script script, ScriptOutputType type, String[] keys, String... args) {
    RedisAsyncCommands<String, String> c;
    try {
      c = commands();
    } catch (LimitStoreException e) {
      return CompletableFuture.failedFuture(e);
    }
    try {
      RedisFuture<T> sha = c.evalsha(script.sha(), type, keys, args);
      return sha.toCompletableFuture()
          .exceptionallyCompose(
              e ->
                  unwrap(e) instanceof RedisNoScriptException
                      ? c.<T>eval(script.text(), type, keys, args).toCompletableFuture()
                      : CompletableFuture.failedFuture(unwrap(e)));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private RedisAsyncCommands<String, String> commands() {
    StatefulRedisConnection<String, String> c = connection;
    if (c == null) {
      throw new LimitStoreException("not connected to " + address(), null, false);
    }
    return c.async();
  }

  private <T> T await(CompletableFuture<T> call, String what, Duration wait) {
    try {
      return call.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new LimitStoreException(
          what + " on " + address() + " timed out after " + wait.toMillis() + " ms", e, true);
    } catch (ExecutionException e) {
      Throwable cause = unwrap(e);
      if (cause instanceof LimitStoreException l) {
        throw l;
      }
      throw new LimitStoreException(
          what + " on " + address() + " failed: " + cause, cause, !neverSent(cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LimitStoreException(what + " interrupted", e, true);
    }
  }

  /** Lettuce rejects a command issued while disconnected without sending it. */
  private static boolean neverSent(Throwable cause) {
    return cause instanceof RedisConnectionException
        || (cause instanceof RedisException
            && cause.getMessage() != null
            && cause.getMessage().contains("not connected"));
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof ExecutionException || e instanceof CompletionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static long number(Object o) {
    return o instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(o));
  }

  @Override
  public void close() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
