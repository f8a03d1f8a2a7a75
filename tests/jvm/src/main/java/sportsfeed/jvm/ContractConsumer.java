package sportsfeed.jvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import sportsfeed.feedstatus.FeedState;
import sportsfeed.feedstatus.FeedStatus;
import sportsfeed.fixture.PeriodScore;
import sportsfeed.fixture.Source;
import sportsfeed.fixture.Team;
import sportsfeed.fixturefinished.FixtureFinished;
import sportsfeed.fixturescore.FixtureScore;
import sportsfeed.marketstate.MarketState;
import sportsfeed.perioddelta.AggregateChange;
import sportsfeed.perioddelta.PeriodDelta;

/**
 * Reads every Avro topic of sportsfeed from the beginning to its current end with the generated
 * classes and prints one JSON line per record: topic suffix, partition, offset and the fields
 * read through the classes' typed getters. Settings as sportsfeed's own: KAFKA_BOOTSTRAP_SERVERS,
 * SCHEMA_REGISTRY_URL, SPORTSFEED_TOPIC_PREFIX.
 */
public final class ContractConsumer {
  private static final Map<String, Class<? extends SpecificRecord>> TOPICS = new LinkedHashMap<>();

  static {
    TOPICS.put("feed-status", FeedStatus.class);
    TOPICS.put("fixture-score", FixtureScore.class);
    TOPICS.put("period-delta", PeriodDelta.class);
    TOPICS.put("fixture-finished", FixtureFinished.class);
    TOPICS.put("market-state", MarketState.class);
  }

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private ContractConsumer() {}

  public static void main(String[] args) throws Exception {
    String prefix = System.getenv().getOrDefault("SPORTSFEED_TOPIC_PREFIX", "sportsfeed.");
    WireFormat wire = new WireFormat(setting("SCHEMA_REGISTRY_URL"));
    ObjectMapper json = new ObjectMapper();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String suffix : TOPICS.keySet()) {
        for (PartitionInfo info : consumer.partitionsFor(prefix + suffix)) {
          partitions.add(new TopicPartition(info.topic(), info.partition()));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Instant deadline = Instant.now().plus(DEADLINE);
      while (!caughtUp(consumer, end)) {
        if (Instant.now().isAfter(deadline)) {
          System.err.println("not caught up within " + DEADLINE.toSeconds() + " s");
          System.exit(1);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          String suffix = record.topic().substring(prefix.length());
          SpecificRecord value = wire.decode(record.value(), TOPICS.get(suffix));
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("topic", suffix);
          line.put("partition", record.partition());
          line.put("offset", record.offset());
          line.put("record", fields(value));
          System.out.println(json.writeValueAsString(line));
        }
      }
    }
  }

  private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
    return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
  }

  private static Properties properties() {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, setting("KAFKA_BOOTSTRAP_SERVERS"));
    properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return properties;
  }

  private static String setting(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) {
      System.err.println(name + " is not set; set it to your server's address");
      System.exit(2);
    }
    return value;
  }

  /** The record's fields as the generated classes give them, by their typed getters. */
  static Map<String, Object> fields(SpecificRecord value) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (value instanceof FeedStatus status) {
      out.put("fixtureId", String.valueOf(status.getFixtureId()));
      out.put("sport", status.getSport().name());
      out.put("channel", status.getChannel().name());
      out.put("changed", status.getChanged().name());
      List<String> feeds = new ArrayList<>();
      for (FeedState feed : status.getFeeds()) {
        feeds.add(feed.getFeed().name() + ":" + feed.getState().name() + ":" + feed.getPosition());
      }
      out.put("feeds", feeds);
      out.put("emittedAt", micros(status.getEmittedAt()));
    } else if (value instanceof FixtureScore score) {
      out.put("fixtureId", String.valueOf(score.getFixtureId()));
      out.put("sport", score.getSport().name());
      out.put("teams", Arrays.asList(team(score.getHomeTeam()), team(score.getAwayTeam())));
      out.put("score", List.of(score.getHomeScore(), score.getAwayScore()));
      out.put("periods", periods(score.getPeriods()));
      out.put("finished", score.getFinished());
      out.put("source", source(score.getSource()));
    } else if (value instanceof PeriodDelta delta) {
      out.put("fixtureId", String.valueOf(delta.getFixtureId()));
      out.put("sport", delta.getSport().name());
      List<List<Object>> changes = new ArrayList<>();
      for (AggregateChange change : delta.getChanges()) {
        changes.add(Arrays.asList(String.valueOf(change.getTeamId()), change.getPeriod(),
            change.getActionId(), change.getSubActionId(), change.getDelta())); // may hold null
      }
      out.put("changes", changes);
      out.put("source", source(delta.getSource()));
    } else if (value instanceof FixtureFinished finished) {
      out.put("fixtureId", String.valueOf(finished.getFixtureId()));
      out.put("sport", finished.getSport().name());
      out.put("score", List.of(finished.getHomeScore(), finished.getAwayScore()));
      out.put("periods", periods(finished.getPeriods()));
      out.put("winner", finished.getWinner().name());
      out.put("source", source(finished.getSource()));
    } else if (value instanceof MarketState market) {
      out.put("fixtureId", String.valueOf(market.getFixtureId()));
      out.put("state", market.getState().name());
      out.put("reasons", market.getReasons().stream().map(Enum::name).toList());
      out.put("validUntil", micros(market.getValidUntil()));
      out.put("source", market.getSource() == null ? null : source(market.getSource()));
    }
    return out;
  }

  private static String team(Team team) { // null until a frame names the team
    return team.getName();
  }

  private static List<List<Integer>> periods(List<PeriodScore> periods) {
    return periods.stream().map(p -> List.of(p.getHomePoints(), p.getAwayPoints())).toList();
  }

  private static List<Object> source(Source source) {
    return List.of(source.getFeed().name(), source.getSequence(), source.getPosition(),
        micros(source.getTimestamp()));
  }

  private static long micros(Instant moment) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, moment);
  }
}
