package dev.coemesh.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RedisExtension.class)
class RedisRoundTripTest {

  @Test
  void binaryValueSurvivesSetGetAndExpiresWithItsTtl(RedisServer redis) throws Exception {
    byte[] key = {'k', 0, (byte) 0xff};
    byte[] value = new byte[64 * 1024];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<byte[], byte[]> connection =
        client.connect(ByteArrayCodec.INSTANCE)) {
      var commands = connection.sync();
      assertEquals("OK", commands.set(key, value, SetArgs.Builder.px(300)));
      assertArrayEquals(value, commands.get(key));
      long ttl = commands.pttl(key);
      assertEquals(true, ttl > 0 && ttl <= 300, "pttl " + ttl);
      Thread.sleep(450);
      assertNull(commands.get(key));
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
    }
  }

  @Test
  void aStoppedServerRefusesAndARestartedOneAnswersOnTheSamePort() {
    try (RedisServer own = RedisServer.startNew()) {
      assertEquals("+PONG", own.command("PING"));
      own.stop();
      assertThrows(IllegalStateException.class, () -> own.command("PING"));
      own.start();
      assertEquals("+PONG", own.command("PING"));
    }
  }
}
