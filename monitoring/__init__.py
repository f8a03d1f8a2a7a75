"""Operations: the Grafana dashboard's generator (the alert rules are in the chart's files/)."""
