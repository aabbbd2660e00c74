package dev.coemesh.router.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MiniLmEmbedderTest {
  @Test
  void embeddingsAreUnitLengthDeterministicAndCloserForRelatedPrompts() {
    MiniLmEmbedder e = SharedEmbedder.get();
    float[] sort = e.embed("Write a Java method that sorts an array of integers.");
    float[] sortAgain = e.embed("Write a Java method that sorts an array of integers.");
    float[] sortPython = e.embed("How do I sort a list of numbers in Python?");
    float[] soup = e.embed("What is a good recipe for tomato soup?");
    assertEquals(MiniLmEmbedder.DIMENSION, sort.length);
    assertEquals(1.0, Vectors.dot(sort, sort), 1e-5);
    assertArrayEquals(sort, sortAgain);
    assertTrue(Vectors.dot(sort, sortPython) > Vectors.dot(sort, soup) + 0.2);
  }

  @Test
  void longPromptsKeepTheirHeadAndTail() {
    String text = "a".repeat(500) + "b".repeat(500);
    String clipped = MiniLmEmbedder.clip(text, 100);
    assertEquals("a".repeat(75) + " … " + "b".repeat(25), clipped);
    assertEquals("short", MiniLmEmbedder.clip("short", 100));
    assertEquals(MiniLmEmbedder.DIMENSION, SharedEmbedder.get().embed("x ".repeat(20_000)).length);
  }
}
