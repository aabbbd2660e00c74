package dev.coemesh.worker.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.coemesh.core.error.ErrorCode;
import dev.coemesh.core.error.MeshException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MeshCredentialTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";
  private static final String OTHER = "fedcba9876543210fedcba9876543210";

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "empty | '' | is empty",
        "31 characters | 0123456789abcdef0123456789abcde | too short: 31 characters, at least 32",
        "a space inside | 0123456789abcdef 0123456789abcdef | outside printable ASCII at position 16",
      })
  void unusableTokensAreAConfigErrorThatNeverQuotesTheToken(
      String what, String token, String expected) {
    MeshException e = assertThrows(MeshException.class, () -> MeshCredential.of(token, "the test"));
    assertEquals(ErrorCode.CONFIG_INVALID, e.code());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().contains("the test"), "names where it came from");
    if (!token.isEmpty()) {
      assertFalse(e.getMessage().contains(token.substring(0, 16)), e.getMessage());
    }
  }

  @Test
  void theTokenNeverAppearsInToString() {
    assertEquals("MeshCredential[redacted]", MeshCredential.of(TOKEN, "test").toString());
  }

  @Test
  void aFileWinsOverTheEnvironmentAndItsTrailingNewlineIsIgnored() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    Map<String, String> env = Map.of(MeshCredential.ENV, OTHER);
    MeshCredential fromFile = MeshCredential.load(file, env);
    assertEquals(MeshCredential.of(TOKEN, "test"), fromFile);
    assertEquals(MeshCredential.of(OTHER, "test"), MeshCredential.load(null, env));
  }

  @Test
  void withNeitherFileNorEnvironmentThereIsNoCredential() {
    MeshException none =
        assertThrows(MeshException.class, () -> MeshCredential.load(null, Map.of()));
    assertEquals(ErrorCode.CONFIG_INVALID, none.code());
    assertTrue(none.getMessage().contains(MeshCredential.ENV), none.getMessage());

    MeshException missing =
        assertThrows(
            MeshException.class,
            () -> MeshCredential.load(dir.resolve("absent"), Map.of(MeshCredential.ENV, TOKEN)));
    assertEquals(ErrorCode.CONFIG_INVALID, missing.code());
    assertTrue(missing.getMessage().contains("NoSuchFileException"), missing.getMessage());
  }

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Bearer 0123456789abcdef0123456789abcdef | true",
        "bearer 0123456789abcdef0123456789abcdef | true",
        "Bearer fedcba9876543210fedcba9876543210 | false",
        "Bearer 0123456789abcdef0123456789abcdef0 | false",
        "0123456789abcdef0123456789abcdef | false",
        "Basic 0123456789abcdef0123456789abcdef | false",
        "Bearer | false",
      })
  void onlyTheBearerHeaderOfTheSameTokenMatches(String header, boolean matches) {
    assertEquals(matches, MeshCredential.of(TOKEN, "test").matches(header));
  }

  @Test
  void randomCredentialsAreLongDistinctAndTravelThroughTheEnvironment() {
    MeshCredential a = MeshCredential.random();
    MeshCredential b = MeshCredential.random();
    assertNotEquals(a, b);
    Map<String, String> env = new HashMap<>();
    a.exportTo(env);
    assertEquals(64, env.get(MeshCredential.ENV).length(), "256 bits in hex");
    assertEquals(a, MeshCredential.load(null, env));
    assertTrue(a.matches(a.authorization()));
    assertFalse(a.matches(b.authorization()));
    assertFalse(a.matches(null));
  }
}
