package dev.coemesh.signals.kafka;

import dev.coemesh.core.signal.SignalEvent;
import dev.coemesh.core.signal.SignalEvent.KvBlockEvent;
import dev.coemesh.core.signal.SignalEvent.LoadReport;
import dev.coemesh.core.signal.SignalEvent.RoutingDecision;
import dev.coemesh.core.signal.SignalEvent.SloReport;
import dev.coemesh.core.signal.SignalEvent.Topic;
import dev.coemesh.core.signal.SignalEvent.UsageCharge;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Every concrete signal record with its wire name (the JSON {@code "type"} discriminator) and its
 * topic. The topic is needed per class, before any instance exists, to know which topics a {@code
 * subscribe(type, ...)} must consume.
 */
public enum SignalType {
  LOAD_REPORT("load-report", LoadReport.class, Topic.LOAD),
  KV_BLOCK_EVENT("kv-block-event", KvBlockEvent.class, Topic.KV_EVENTS),
  USAGE_CHARGE("usage-charge", UsageCharge.class, Topic.USAGE),
  SLO_REPORT("slo-report", SloReport.class, Topic.SLO),
  ROUTING_DECISION("routing-decision", RoutingDecision.class, Topic.ROUTING);

  private final String wireName;
  private final Class<? extends SignalEvent> recordType;
  private final Topic topic;

  SignalType(String wireName, Class<? extends SignalEvent> recordType, Topic topic) {
    this.wireName = wireName;
    this.recordType = recordType;
    this.topic = topic;
  }

  public String wireName() {
    return wireName;
  }

  public Class<? extends SignalEvent> recordType() {
    return recordType;
  }

  public Topic topic() {
    return topic;
  }

  /** Exhaustive over the sealed interface, so a new signal record fails the build until added. */
  public static SignalType of(SignalEvent event) {
    return switch (event) {
      case LoadReport e -> LOAD_REPORT;
      case KvBlockEvent e -> KV_BLOCK_EVENT;
      case UsageCharge e -> USAGE_CHARGE;
      case SloReport e -> SLO_REPORT;
      case RoutingDecision e -> ROUTING_DECISION;
    };
  }

  public static Optional<SignalType> byWireName(String wireName) {
    for (SignalType type : values()) {
      if (type.wireName.equals(wireName)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** The topics carrying events of {@code type} or its subtypes ({@code SignalEvent} → all). */
  public static Set<Topic> topicsOf(Class<? extends SignalEvent> type) {
    Set<Topic> topics = EnumSet.noneOf(Topic.class);
    for (SignalType signal : values()) {
      if (type.isAssignableFrom(signal.recordType)) {
        topics.add(signal.topic);
      }
    }
    return topics;
  }
}
