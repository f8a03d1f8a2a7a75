{{/* Names and labels shared by every template. At most 42 characters: a StatefulSet's name
     plus "-processor" must stay within 52 (its pods' controller-revision-hash label adds 11 to
     the name and labels end at 63). */}}
{{- define "sportsfeed.fullname" -}}
{{- $name := .Values.fullnameOverride | default (printf "%s-%s" .Release.Name .Chart.Name) -}}
{{- if and (not .Values.fullnameOverride) (contains .Chart.Name .Release.Name) -}}
{{- $name = .Release.Name -}}
{{- end -}}
{{- $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}

{{- define "sportsfeed.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "sportsfeed.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* What every pod shares: pull secrets, service account (no API token: nothing here talks to
     the Kubernetes API), security context. */}}
{{- define "sportsfeed.podSpec" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
serviceAccountName: {{ include "sportsfeed.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- include "sportsfeed.podSecurityContext" . | nindent 2 }}
{{- end -}}

{{/* Scheduling of one component: nodeSelector, tolerations, affinity, and a topology spread
     over its own pods. Called with (dict "root" $ "values" .Values.x "component" "x"). */}}
{{- define "sportsfeed.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpread }}
{{- if .enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .maxSkew }}
    topologyKey: {{ .topologyKey }}
    whenUnsatisfiable: {{ .whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "sportsfeed.selector" $.root | nindent 8 }}
        app.kubernetes.io/component: {{ $.component }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "sportsfeed.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
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

{{/* repository@digest when a digest is given (the tag is then ignored), else repository:tag. */}}
{{- define "sportsfeed.image" -}}
{{- if .Values.image.digest -}}
{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}
{{- end -}}

{{/* Settings every long-running container gets: the shared ConfigMap, Kafka's security and
     the extra variables. The vendor token only where it is read (the producers). */}}
{{- define "sportsfeed.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "sportsfeed.fullname" . }}
env:
  {{- include "sportsfeed.kafkaSecurityEnv" . | nindent 2 }}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{- define "sportsfeed.vendorTokenEnv" -}}
- name: SPORTSFEED_VENDOR_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ required "vendor.existingSecret must name a Secret holding the vendor token" .Values.vendor.existingSecret }}
      key: {{ .Values.vendor.tokenKey }}
{{- end -}}

{{/* Volumes every pod gets: /tmp, the brokers' CA, the extra volumes; and their mounts. */}}
{{- define "sportsfeed.volumes" -}}
- {name: tmp, emptyDir: {}}
{{- include "sportsfeed.kafkaCaVolume" . }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "sportsfeed.volumeMounts" -}}
- {name: tmp, mountPath: /tmp}
{{- include "sportsfeed.kafkaCaMount" . }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The processor's memory (request = limit, in Mi): what the process needs beside RocksDB,
     plus the RocksDB bound for every table partition a worker holds, active and standby:
     baseMi + ceil(partitions / replicas) x (1 + standbys) x rocksdbMemoryMb, where standbys is
     Faust's one standby copy per partition when there is another worker to hold it. An
     explicit processor.resources.limits.memory wins. */}}
{{- define "sportsfeed.processorMemory" -}}
{{- $p := int .Values.topics.partitions -}}
{{- $r := int .Values.processor.replicas -}}
{{- $active := div (add $p $r -1) $r -}}
{{- $standbys := ternary 1 0 (gt $r 1) -}}
{{- $held := mul $active (add 1 $standbys) -}}
{{- printf "%dMi" (add (int .Values.processor.memory.baseMi) (mul $held (int .Values.processor.rocksdbMemoryMb))) -}}
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

{{/* The topics' settings, inline: hooks run before the ConfigMap exists. */}}
{{- define "sportsfeed.topicsEnv" -}}
- {name: KAFKA_BOOTSTRAP_SERVERS, value: {{ required "kafka.bootstrapServers is required" .Values.kafka.bootstrapServers | quote }}}
- {name: SCHEMA_REGISTRY_URL, value: {{ required "schemaRegistry.url is required" .Values.schemaRegistry.url | quote }}}
- {name: SPORTSFEED_TOPIC_PREFIX, value: {{ .Values.topics.prefix | quote }}}
- {name: SPORTSFEED_PARTITIONS, value: {{ .Values.topics.partitions | quote }}}
- {name: SPORTSFEED_REPLICATION, value: {{ .Values.topics.replication | quote }}}
- {name: SPORTSFEED_RAW_RETENTION_MS, value: {{ .Values.topics.rawRetentionMs | quote }}}
- {name: SPORTSFEED_LOG_LEVEL, value: {{ .Values.logLevel | quote }}}
{{ include "sportsfeed.kafkaSecurityEnv" . }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
