package dev.coemesh.kv.store;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import dev.coemesh.core.request.RequestId;
import dev.coemesh.core.spi.KvStore;
import dev.coemesh.core.tenant.TenantId;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * KV chunks in Redis through one Lettuce connection (commands pipeline on it). Every command has a
 * timeout, and commands issued while disconnected are rejected at once rather than queued, so a
 * dead Redis shows up as {@code KV_STORE_UNAVAILABLE} within the timeout, never as a hang. Values
 * carry the TTL ({@code SET PX}); a metadata key per request records the chunk count.
 */
public final class RedisKvStore implements KvStore {
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisAsyncCommands<byte[], byte[]> commands;
  private final Duration timeout;

  /** The shortest a connect may take before the store counts as unreachable. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  public RedisKvStore(String uri, Duration timeout) {
    this.timeout = timeout;
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(max(timeout, CONNECT_TIMEOUT)); // the connect; commands: TimeoutOptions
    this.client = RedisClient.create(redisUri);
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(timeout))
            // a connect (the first one loads Netty and Lettuce) may take longer than a command;
            // commands never wait for it: a disconnected store rejects them at once
            .socketOptions(
                SocketOptions.builder().connectTimeout(max(timeout, CONNECT_TIMEOUT)).build())
            .build());
    try {
      this.connection = client.connect(ByteArrayCodec.INSTANCE);
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
      throw unavailable(e);
    }
    this.commands = connection.async();
  }

  @Override
  public CompletableFuture<Void> putChunks(
      TenantId tenant, RequestId request, List<byte[]> chunks, Duration ttl) {
    SetArgs args = SetArgs.Builder.px(Math.max(1, ttl.toMillis()));
    List<RedisFuture<String>> writes = new ArrayList<>(chunks.size() + 1);
    long total = 0;
    try {
      for (int i = 0; i < chunks.size(); i++) {
        writes.add(
            commands.set(KvKeys.bytes(KvKeys.chunk(tenant, request, i)), chunks.get(i), args));
        total += chunks.get(i).length;
      }
      writes.add(
          commands.set(
              KvKeys.bytes(KvKeys.meta(tenant, request)),
              KvKeys.metaRecord(chunks.size(), total),
              args));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(unavailable(e));
    }
    return CompletableFuture.allOf(
            writes.stream().map(f -> f.toCompletableFuture()).toArray(CompletableFuture[]::new))
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(unavailable(e)));
  }

  @Override
  public CompletableFuture<byte[]> getChunk(TenantId tenant, RequestId request, int index) {
    return get(
        KvKeys.chunk(tenant, request, index),
        () -> "no KV chunk " + index + " for request " + request);
  }

  @Override
  public CompletableFuture<Void> delete(TenantId tenant, RequestId request, int chunkCount) {
    byte[][] keys = new byte[chunkCount + 1][];
    for (int i = 0; i < chunkCount; i++) {
      keys[i] = KvKeys.bytes(KvKeys.chunk(tenant, request, i));
    }
    keys[chunkCount] = KvKeys.bytes(KvKeys.meta(tenant, request));
    try {
      return commands
          .del(keys)
          .toCompletableFuture()
          .<Void>thenApply(n -> null)
          .exceptionallyCompose(e -> CompletableFuture.failedFuture(unavailable(e)));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(unavailable(e));
    }
  }

  @Override
  public CompletableFuture<Void> putTable(long id, byte[] table) {
    try {
      return commands
          .set(KvKeys.bytes(KvKeys.table(id)), table)
          .toCompletableFuture()
          .<Void>thenApply(ok -> null)
          .exceptionallyCompose(e -> CompletableFuture.failedFuture(unavailable(e)));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(unavailable(e));
    }
  }

  @Override
  public CompletableFuture<byte[]> getTable(long id) {
    return get(KvKeys.table(id), () -> "no codec table " + Long.toHexString(id));
  }

  private CompletableFuture<byte[]> get(String key, Supplier<String> missing) {
    try {
      return commands
          .get(KvKeys.bytes(key))
          .toCompletableFuture()
          .exceptionallyCompose(e -> CompletableFuture.failedFuture(unavailable(e)))
          .thenCompose(
              value ->
                  value == null
                      ? CompletableFuture.failedFuture(
                          new MeshException(ErrorCode.KV_NOT_FOUND, missing.get()))
                      : CompletableFuture.completedFuture(value));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(unavailable(e));
    }
  }

  private MeshException unavailable(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof MeshException m) {
      return m;
    }
    return new MeshException(
        ErrorCode.KV_STORE_UNAVAILABLE,
        "KV store (Redis) unavailable within " + timeout.toMillis() + " ms: " + cause.getMessage(),
        cause);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
