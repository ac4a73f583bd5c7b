//! Kafka: the rdkafka client (SASL/SSL), metadata and admin, bounded sampling, producing, payload decoding, and the Kafka tools.
