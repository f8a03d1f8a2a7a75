package sportsfeed.jvm;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * The Confluent wire format read by hand: magic byte 0, a 4-byte big-endian schema id, then the
 * Avro body. The writer schema is fetched once per id from the registry's Confluent-compatible
 * API; the reader schema is the generated class's, so Avro resolves the two (aliases, enum
 * defaults, added fields) as it would for any consumer built from an older or newer contract.
 */
final class WireFormat {
  private static final int HEADER = 5;

  private final String registryUrl;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ObjectMapper json = new ObjectMapper(); // Jackson comes with Avro
  private final Map<Integer, Schema> writers = new HashMap<>();

  WireFormat(String registryUrl) {
    this.registryUrl = registryUrl.replaceAll("/+$", "");
  }

  <T extends SpecificRecord> T decode(byte[] value, Class<T> type) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(value);
    if (value.length < HEADER || buffer.get() != 0) {
      throw new IOException("not Confluent Avro (no magic byte 0)");
    }
    Schema writer = writerSchema(buffer.getInt());
    Schema reader = SpecificData.get().getSchema(type);
    SpecificDatumReader<T> datumReader = new SpecificDatumReader<>(writer, reader);
    BinaryDecoder body =
        DecoderFactory.get().binaryDecoder(value, HEADER, value.length - HEADER, null);
    return datumReader.read(null, body);
  }

  private Schema writerSchema(int id) throws IOException {
    Schema known = writers.get(id);
    if (known == null) {
      known = new Schema.Parser().parse(fetch(id));
      writers.put(id, known);
    }
    return known;
  }

  private String fetch(int id) throws IOException {
    URI uri = URI.create(registryUrl + "/schemas/ids/" + id);
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException exc) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching schema id " + id, exc);
    }
    if (response.statusCode() != 200) {
      throw new IOException(uri + " answered " + response.statusCode() + ": " + response.body());
    }
    return json.readTree(response.body()).get("schema").asText();
  }
}
