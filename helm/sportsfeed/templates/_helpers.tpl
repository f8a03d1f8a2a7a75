{{/* Names and labels shared by every template. */}}
{{- define "sportsfeed.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sportsfeed.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "sportsfeed.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sportsfeed.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}

{{/* Settings every container gets: the shared ConfigMap and the vendor token Secret. */}}
{{- define "sportsfeed.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "sportsfeed.fullname" . }}
env:
  - name: SPORTSFEED_VENDOR_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ required "vendor.existingSecret must name a Secret holding the vendor token" .Values.vendor.existingSecret }}
        key: {{ .Values.vendor.tokenKey }}
  {{- include "sportsfeed.kafkaSecurityEnv" . | nindent 2 }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Kafka TLS and SASL settings; the password only from an existing Secret. Inline rather than
     in the ConfigMap because the topics hook Job runs before the ConfigMap exists. */}}
{{- define "sportsfeed.kafkaSecurityEnv" -}}
- {name: KAFKA_SECURITY_PROTOCOL, value: {{ .Values.kafka.securityProtocol | quote }}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol }}
- {name: KAFKA_SASL_MECHANISM, value: {{ .Values.kafka.sasl.mechanism | quote }}}
- {name: KAFKA_SASL_USERNAME, value: {{ required "kafka.sasl.username is required with SASL" .Values.kafka.sasl.username | quote }}}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret must name a Secret holding the SASL password" .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- if .Values.kafka.tls.caSecret }}
- {name: KAFKA_SSL_CA_FILE, value: "/etc/sportsfeed/kafka-ca/{{ .Values.kafka.tls.caKey }}"}
{{- end }}
{{- end -}}

{{/* The brokers' CA from its Secret, as a volume and its mount (nothing without one). */}}
{{- define "sportsfeed.kafkaCaVolume" -}}
{{- if .Values.kafka.tls.caSecret }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret }}
{{- end }}
{{- end -}}

{{- define "sportsfeed.kafkaCaMount" -}}
{{- if .Values.kafka.tls.caSecret }}
- {name: kafka-ca, mountPath: /etc/sportsfeed/kafka-ca, readOnly: true}
{{- end }}
{{- end -}}

{{- define "sportsfeed.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "sportsfeed.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
