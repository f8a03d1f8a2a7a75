"""The local stack: a real Apache Kafka broker and Apicurio Schema Registry on 127.0.0.1."""
