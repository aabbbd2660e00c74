package dev.coemesh.k8s.expert;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * Latency objectives, as the gateway's {@code mesh.slo.*} keys state them: a duration in whole
 * milliseconds or seconds ({@code 250ms}, {@code 2s}).
 *
 * @param ttft time to first token, from arrival
 * @param tpot mean time per output token after the first
 */
public record Slo(
    @Required @Pattern(Slo.DURATION_PATTERN) String ttft,
    @Required @Pattern(Slo.DURATION_PATTERN) String tpot) {

  public static final String DURATION_PATTERN = "^[1-9][0-9]*(ms|s)$";
}
