{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base name of every object: the release name when it already contains the chart's name (so
`helm install palisade` gives palisade-operator and palisade-agent, the names of deploy/rbac),
else <release>-<chart>.
*/}}
{{- define "palisade.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "palisade.operator.fullname" -}}{{ include "palisade.fullname" . }}-operator{{- end -}}
{{- define "palisade.agent.fullname" -}}{{ include "palisade.fullname" . }}-agent{{- end -}}

{{- define "palisade.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "ctx" $ "component" "operator"). */}}
{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "palisade.componentLabels" -}}
{{ include "palisade.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "palisade.operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.operator.create -}}
{{- default (include "palisade.operator.fullname" .) .Values.serviceAccount.operator.name -}}
{{- else -}}
{{- required "serviceAccount.operator.name is required when serviceAccount.operator.create is false" .Values.serviceAccount.operator.name -}}
{{- end -}}
{{- end -}}

{{- define "palisade.agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.agent.create -}}
{{- default (include "palisade.agent.fullname" .) .Values.serviceAccount.agent.name -}}
{{- else -}}
{{- required "serviceAccount.agent.name is required when serviceAccount.agent.create is false" .Values.serviceAccount.agent.name -}}
{{- end -}}
{{- end -}}

{{- define "palisade.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* CNI directories: the explicit values, else the preset's (the agent's CniSettings.Preset). */}}
{{- define "palisade.cni.binDir" -}}
{{- if .Values.cni.binDir -}}{{ .Values.cni.binDir }}
{{- else if eq .Values.cni.preset "kind" -}}/opt/cni/bin
{{- else -}}/var/lib/rancher/k3s/data/cni
{{- end -}}
{{- end -}}

{{- define "palisade.cni.confDir" -}}
{{- if .Values.cni.confDir -}}{{ .Values.cni.confDir }}
{{- else if eq .Values.cni.preset "kind" -}}/etc/cni/net.d
{{- else -}}/var/lib/rancher/k3s/agent/etc/cni/net.d
{{- end -}}
{{- end -}}

{{- define "palisade.cni.runDir" -}}
{{- .Values.cni.runDir | default "/run/palisade/cni" -}}
{{- end -}}

{{/* The JVM's temporary files: both containers have read-only root filesystems. */}}
{{- define "palisade.javaEnv" -}}
- name: JAVA_OPTS
  value: {{ printf "-Djava.io.tmpdir=/tmp %s" .Values.javaOpts | trim | quote }}
{{- end -}}
