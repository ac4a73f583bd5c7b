//! Time windows, the Loki and Prometheus clients, log-pattern and metric summaries, and the Kafka metric and log catalogs.
