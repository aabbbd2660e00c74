package dev.coemesh.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaExtension.class)
class KafkaRoundTripTest {

  @Test
  void producedRecordsAreConsumedInOrderWithTheirKeys(KafkaBroker kafka) throws Exception {
    String topic = "mesh.testkit.roundtrip";
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      assertEquals(true, admin.listTopics().names().get().contains(topic));
    }

    Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
    producerConfig.put("acks", "all");
    try (var producer =
        new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(topic, "tenant-" + (i % 2), "charge-" + i)).get();
      }
    }

    Map<String, Object> consumerConfig = new HashMap<>(kafka.clientConfig());
    consumerConfig.put("group.id", "testkit");
    consumerConfig.put("auto.offset.reset", "earliest");
    List<String> values = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(Set.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < 10 && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          values.add(record.value());
          keys.add(record.key());
        }
      }
    }
    assertEquals(
        List.of(
            "charge-0",
            "charge-1",
            "charge-2",
            "charge-3",
            "charge-4",
            "charge-5",
            "charge-6",
            "charge-7",
            "charge-8",
            "charge-9"),
        values);
    assertEquals("tenant-1", keys.get(1));
  }
}
