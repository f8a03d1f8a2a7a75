"""How sportsfeed's Kafka clients authenticate and encrypt: TLS and SASL (PLAIN, SCRAM).

Every client (aiokafka producers, consumers and admin clients, and the Faust worker through
`processors.credentials`) takes its security from one `KafkaSecurity`, built from the
KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_* and KAFKA_SSL_* settings. TLS always verifies the broker's
certificate and host name; the CA file only adds a private certificate authority to trust.
Nothing here needs Faust (only the processors do), so every process's settings load without it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


@dataclass(frozen=True)
class KafkaSecurity:
    """A Kafka client's security settings; the default is PLAINTEXT (the local broker)."""

    protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None  # a client certificate, for brokers that require mutual TLS
    key_file: Path | None = None

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """A verifying TLS context (system CAs plus `ca_file`), or None without TLS."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(
            cafile=str(self.ca_file) if self.ca_file is not None else None
        )
        if self.cert_file is not None:
            context.load_cert_chain(
                str(self.cert_file), str(self.key_file) if self.key_file is not None else None
            )
        return context

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        context = self.ssl_context()
        if context is not None:
            options["ssl_context"] = context
        if self.uses_sasl:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.password()
        return options

    def password(self) -> str | None:
        """The SASL password in clear, for a client about to log in."""
        return self.sasl_password.get_secret_value() if self.sasl_password is not None else None
