package dev.coemesh.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The environment the operator is configured by. */
class OperatorConfigTest {
  @Test
  void theGatewayDeploymentsAreACommaSeparatedListDefaultingToGateway() {
    assertEquals(List.of("gateway"), OperatorConfig.fromEnv(Map.of()).gatewayDeployments());
    assertEquals(
        List.of("gateway", "gateway-canary"),
        OperatorConfig.fromEnv(Map.of("COEMESH_GATEWAY_DEPLOYMENTS", " gateway, gateway-canary "))
            .gatewayDeployments());
    assertEquals(
        List.of(),
        OperatorConfig.fromEnv(Map.of("COEMESH_GATEWAY_DEPLOYMENTS", "")).gatewayDeployments(),
        "empty: no gateway is rolled");
  }

  @Test
  void aNameThatIsNoDeploymentNameIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                OperatorConfig.fromEnv(Map.of("COEMESH_GATEWAY_DEPLOYMENTS", "gateway,Gate_way")));
    assertEquals("COEMESH_GATEWAY_DEPLOYMENTS: not a Deployment name: 'Gate_way'", e.getMessage());
  }
}
