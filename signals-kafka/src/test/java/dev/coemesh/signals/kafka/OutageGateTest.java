package dev.coemesh.signals.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutageGateTest {

  @Test
  void passesEverythingUntilATimeout() {
    var gate = new OutageGate(Duration.ofHours(1));
    for (int i = 0; i < 10; i++) {
      assertTrue(gate.tryPass());
    }
    assertFalse(gate.onSuccess(), "already open");
  }

  @Test
  void aTimeoutClosesTheGateForTheBackoff() {
    var gate = new OutageGate(Duration.ofHours(1));
    assertTrue(gate.onTimeout(), "the first timeout closes the gate");
    assertFalse(gate.onTimeout(), "later ones find it closed");
    assertFalse(gate.isOpen());
    assertFalse(gate.tryPass());
  }

  @Test
  void afterTheBackoffExactlyOneProbePassesAndSuccessReopens() throws Exception {
    var gate = new OutageGate(Duration.ofMillis(200));
    gate.onTimeout();
    Thread.sleep(300);
    int passed = 0;
    for (int i = 0; i < 100; i++) {
      passed += gate.tryPass() ? 1 : 0;
    }
    assertEquals(1, passed);
    assertTrue(gate.onSuccess(), "the probe's acknowledgement reopens the gate");
    assertTrue(gate.isOpen());
    assertTrue(gate.tryPass());
  }
}
