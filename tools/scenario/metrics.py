"""Scrapes of the usual Kafka exporters, rendered as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`.

Metric names are what the exporters produce, not invented:
  * prometheus/jmx_exporter with its example Kafka rules (example_configs/kafka-2_0_0.yml and kafka-kraft-3_0_0.yml,
    lowercaseOutputName): `kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value` ->
    kafka_server_replicamanager_underreplicatedpartitions; `...PerSec, topic=T><>Count` -> kafka_server_brokertopicmetrics_
    bytesin_total{topic}; `kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Produce><>99thPercentile` ->
    kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99"}; `kafka.log<type=Log, name=Size, topic,
    partition>` -> kafka_log_log_size; quota sensors `kafka.server<type=Produce, client-id=C><>throttle-time` ->
    kafka_server_quota_throttle_time{resource="Produce",clientId="C"}; `kafka.server<type=raft-metrics><>current-leader`
    -> kafka_server_raft_metrics_current_leader; RequestHandlerAvgIdlePercent as `..._requesthandleravgidle_percent`
    (the example's MeanRate rule) or `..._requesthandleravgidlepercent` (rules exporting the OneMinuteRate under the
    bean name) depending on the installation; its JVM collectors jvm_memory_bytes_used{area} (0.x) or
    jvm_memory_used_bytes{area} (1.x), jvm_gc_collection_seconds_sum/_count{gc}.
  * danielqsj/kafka_exporter: kafka_brokers, kafka_topic_partitions, kafka_topic_partition_current_offset,
    kafka_topic_partition_in_sync_replica, kafka_topic_partition_under_replicated_partition,
    kafka_topic_partition_leader, kafka_topic_partition_leader_is_preferred, kafka_consumergroup_lag,
    kafka_consumergroup_lag_sum, kafka_consumergroup_members.
  * node_exporter (node_filesystem_avail_bytes/size_bytes on the Kafka data mount, node_network_*_bytes_total,
    node_load1), the kubelet's kubelet_volume_stats_* for Kubernetes volumes, and Prometheus' own `up`.
While a broker process is down its JMX series are absent and up{job="kafka"} is 0; node_exporter keeps reporting
unless the host itself is down.
"""
import math
import zlib

# MSK open monitoring and Confluent for Kubernetes keep the MBean attribute in the name and its `name` key as a
# label: kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value ->
# kafka_server_ReplicaManager_Value{name="UnderReplicatedPartitions"} (MSK; CFK lower-cases the name).
FAMILY = {
    'kafka_server_replicamanager_underreplicatedpartitions': ('kafka_server_ReplicaManager', 'UnderReplicatedPartitions', 'Value'),
    'kafka_server_replicamanager_partitioncount': ('kafka_server_ReplicaManager', 'PartitionCount', 'Value'),
    'kafka_server_replicamanager_leadercount': ('kafka_server_ReplicaManager', 'LeaderCount', 'Value'),
    'kafka_server_replicamanager_underminisrpartitioncount': ('kafka_server_ReplicaManager', 'UnderMinIsrPartitionCount', 'Value'),
    'kafka_server_replicamanager_isrshrinks_total': ('kafka_server_ReplicaManager', 'IsrShrinksPerSec', 'Count'),
    'kafka_server_replicamanager_isrexpands_total': ('kafka_server_ReplicaManager', 'IsrExpandsPerSec', 'Count'),
    'kafka_controller_kafkacontroller_activecontrollercount': ('kafka_controller_KafkaController', 'ActiveControllerCount', 'Value'),
    'kafka_controller_kafkacontroller_offlinepartitionscount': ('kafka_controller_KafkaController', 'OfflinePartitionsCount', 'Value'),
    'kafka_controller_controllerstats_leaderelectionrateandtimems_count': ('kafka_controller_ControllerStats', 'LeaderElectionRateAndTimeMs', 'Count'),
    'kafka_controller_controllerstats_uncleanleaderelections_total': ('kafka_controller_ControllerStats', 'UncleanLeaderElectionsPerSec', 'Count'),
    'kafka_server_brokertopicmetrics_bytesin_total': ('kafka_server_BrokerTopicMetrics', 'BytesInPerSec', 'Count'),
    'kafka_server_brokertopicmetrics_bytesout_total': ('kafka_server_BrokerTopicMetrics', 'BytesOutPerSec', 'Count'),
    'kafka_server_brokertopicmetrics_messagesin_total': ('kafka_server_BrokerTopicMetrics', 'MessagesInPerSec', 'Count'),
    'kafka_server_brokertopicmetrics_failedproducerequests_total': ('kafka_server_BrokerTopicMetrics', 'FailedProduceRequestsPerSec', 'Count'),
    'kafka_network_requestmetrics_totaltimems': ('kafka_network_RequestMetrics', 'TotalTimeMs', None),
    'kafka_network_requestmetrics_throttletimems': ('kafka_network_RequestMetrics', 'ThrottleTimeMs', None),
    'kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent': ('kafka_server_KafkaRequestHandlerPool', 'RequestHandlerAvgIdlePercent', None),
    'kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent': ('kafka_server_KafkaRequestHandlerPool', 'RequestHandlerAvgIdlePercent', None),
    'kafka_network_socketserver_networkprocessoravgidlepercent': ('kafka_network_SocketServer', 'NetworkProcessorAvgIdlePercent', 'Value'),
    'kafka_log_log_size': ('kafka_log_Log', 'Size', 'Value'),
    'kafka_server_replicafetchermanager_maxlag': ('kafka_server_ReplicaFetcherManager', 'MaxLag', 'Value'),
    'kafka_coordinator_group_groupmetadatamanager_numgroupspreparingrebalance': ('kafka_coordinator_group_GroupMetadataManager', 'NumGroupsPreparingRebalance', 'Value'),
    'kafka_server_sessionexpirelistener_zookeeperexpires_total': ('kafka_server_SessionExpireListener', 'ZooKeeperExpiresPerSec', 'Count'),
    'kafka_server_sessionexpirelistener_zookeeperdisconnects_total': ('kafka_server_SessionExpireListener', 'ZooKeeperDisconnectsPerSec', 'Count'),
}


class Metrics:
    def __init__(self, cluster, times, rng):
        self.c = cluster
        self.times = times
        self.rng = rng
        self.series = {}          # (name, labels tuple) -> list of values
        self.types = {}
        self.cum = {}             # counters
        self.idx = {t: i for i, t in enumerate(times)}
        self.k8s_nodes = {b: f'ip-10-0-{rng.randint(1, 9)}-{rng.randint(2, 250)}.ec2.internal' for b in cluster.brokers}
        self.client_throttle = {}

    # ------------------------------------------------------------ labels
    def base(self):
        return {'cluster': self.c.name} if self.c.labels.cluster_label else {}

    def jmx(self, b, **kv):
        L, c = self.c.labels, self.c
        lab = self.base()
        if b >= 3000:
            name = f'{c.name}-controller-{b - 3000}'
            if L.scheme.startswith('k8s'):
                lab.update(job='kafka-controller', namespace=L.namespace, pod=name, instance=f'10.42.7.{b - 2990}:9404')
            else:
                lab.update(job='kafka-controller', instance=f'{name}:{L.jmx_port}')
                if L.scheme == 'vm':
                    lab['node_id'] = str(b)
        elif L.scheme == 'vm':
            lab.update(job='kafka', instance=f'{c.hosts[b]}:{L.jmx_port}', broker=str(b))
        elif L.scheme in ('vm-nobroker', 'vm-otel'):
            lab.update(job='kafka', instance=f'{c.hosts[b]}:{L.jmx_port}')
        elif L.scheme == 'vm-msk':
            # MSK open monitoring: the JMX exporter on 11001 of every broker, scraped under the job's name
            lab.update(job='msk-jmx', instance=f'{c.hosts[b]}:11001')
        else:
            lab.update(job='kafka', namespace=L.namespace, pod=L.pod(b), instance=f'{c.ips[b]}:9404', container='kafka')
            if L.scheme == 'k8s-strimzi':
                # Strimzi's PodMonitor: the strimzi.io pod labels and kubernetes_pod_name beside the operator's pod
                lab.update(strimzi_io_cluster=c.name, strimzi_io_kind='Kafka', strimzi_io_name=f'{c.name}-kafka',
                           strimzi_io_pool_name='broker', kubernetes_pod_name=L.pod(b))
        lab.update(kv)
        return lab

    def node(self, b, **kv):
        L, c = self.c.labels, self.c
        lab = self.base()
        if L.scheme.startswith('k8s'):
            n = self.k8s_nodes[b]
            ip = n.split('.')[0][3:].replace('-', '.')
            lab.update(job='node-exporter', instance=f'{ip}:9100', node=n)
        elif L.scheme == 'vm-msk':
            lab.update(job='msk-node', instance=f'{c.hosts[b]}:11002')
        else:
            lab.update(job='node', instance=f'{c.hosts[b]}:9100')
        lab.update(kv)
        return lab

    def exporter(self, **kv):
        lab = self.base()
        if self.c.labels.scheme.startswith('k8s'):
            lab.update(job='kafka-exporter', namespace=self.c.labels.namespace,
                       pod=f'{self.c.name}-kafka-exporter-6d5f8b7c9-x2k4p', instance='10.42.3.17:9308')
        else:
            lab.update(job='kafka-exporter', instance='kafka-exporter:9308')
        lab.update(kv)
        return lab

    # ------------------------------------------------------------ recording
    def put(self, name, kind, labels, t, v):
        key = (name, tuple(labels.items()))
        s = self.series.get(key)
        if s is None:
            s = self.series[key] = [None] * len(self.times)
            self.types[name] = kind
        s[self.idx[t]] = v

    def gauge(self, name, labels, t, v):
        self.put(name, 'gauge', labels, t, v)

    def counter(self, name, labels, t, inc, start=None):
        key = (name, tuple(labels.items()))
        if key not in self.cum:
            self.cum[key] = start if start is not None else self.rng.uniform(1e5, 1e9)
        self.cum[key] += max(0.0, inc)
        self.put(name, 'counter', labels, t, self.cum[key])

    def noise(self, x, rel=0.05):
        return x * (1 + self.rng.uniform(-rel, rel))

    # ------------------------------------------------------------ one scrape
    def scrape(self, sim, t):
        c, rng, dt = self.c, self.rng, 15.0
        brokers = c.brokers
        for b in brokers:
            host_up = sim.within_host_up(b, t)
            up = sim.proc_up(b, t) and b not in sim.halted and host_up
            self.gauge('up', self.jmx(b), t, 1 if up else 0)
            self.gauge('up', self.node(b), t, 1 if host_up else 0)
            if host_up:
                self.node_metrics(sim, b, t)
            if up:
                self.broker_metrics(sim, b, t)
        if c.mode == 'kraft' and c.dedicated_controllers:
            for x in c.controllers:
                self.gauge('up', self.jmx(x), t, 1)
                self.controller_metrics(sim, x, t)
                self.raft_metrics(sim, x, t)
                self.jvm(sim, x, t, 0.0, 1 << 30)
        self.exporter_metrics(sim, t)
        if c.labels.client_metrics:
            # The producing apps' own Micrometer metrics: the worst throttle its producer saw from any broker.
            for pr in c.producers:
                thr = self.client_throttle.pop(pr.client_id, 0.0)
                lab = self.base()
                lab.update(job=pr.app, client_id=pr.client_id, kafka_version=c.version)
                self.gauge('kafka_producer_produce_throttle_time_max', lab, t, round(thr, 1))

    def node_metrics(self, sim, b, t):
        c = self.c
        size = c.disk_bytes
        avail = size * (1 - sim.disk_used(b, t))
        if c.labels.scheme.startswith('k8s'):
            pvc = c.labels.pvc(b, c.data_dir)
            kl = self.base()
            kl.update(job='kubelet', namespace=c.labels.namespace, persistentvolumeclaim=pvc,
                      instance=self.k8s_nodes[b], node=self.k8s_nodes[b])
            self.gauge('kubelet_volume_stats_available_bytes', kl, t, round(avail))
            self.gauge('kubelet_volume_stats_capacity_bytes', kl, t, size)
            h1 = zlib.crc32(('%s/%d' % (c.name, b)).encode()) % 10 ** 8
            h2 = zlib.crc32(('%d/%s/pvc' % (b, c.name)).encode()) % 10 ** 8
            mp = f'/var/lib/kubelet/pods/{h1:08d}-4b1c-4e0a-9d55-{b:012d}/volumes/kubernetes.io~csi/pvc-{h2:08d}/mount'
            dev = '/dev/nvme1n1'
        else:
            mp = c.data_dir.rstrip('/') if c.data_dir.count('/') <= 2 else '/' + '/'.join(c.data_dir.split('/')[1:3])
            dev = '/dev/nvme1n1' if b % 2 else '/dev/sdb1'
        fs = dict(device=dev, fstype='xfs' if b % 3 else 'ext4', mountpoint=mp)
        self.gauge('node_filesystem_avail_bytes', self.node(b, **fs), t, round(avail))
        self.gauge('node_filesystem_size_bytes', self.node(b, **fs), t, size)
        bin_ = sum(sim.tick_bytes_in.get(b, {}).values())
        up = sim.proc_up(b, t)
        iso = sim.iso(b, t)
        rx = (bin_ * 2.0 + 2e5) if up and not iso else 3e3
        self.counter('node_network_receive_bytes_total', self.node(b, device='eth0'), t, self.noise(rx, 0.1))
        self.counter('node_network_transmit_bytes_total', self.node(b, device='eth0'), t, self.noise(rx * 1.6, 0.1))
        self.counter('node_network_receive_drop_total', self.node(b, device='eth0'), t,
                     self.rng.randint(20, 200) if iso else (1 if self.rng.random() < 0.05 else 0), start=self.rng.randint(0, 900))
        self.gauge('node_load1', self.node(b), t, round(self.noise(1.2 + 6 * sim.gc_int(b, t) + 2 * sim.load(b), 0.2), 2))

    def jvm(self, sim, b, t, gc, heap_max):
        c = self.c
        heap_max = heap_max or c.heap_bytes
        used = heap_max * (0.35 + 0.25 * self.rng.random()) if gc < 0.2 else heap_max * min(0.985, 0.8 + 0.2 * gc)
        if c.labels.jvm_new_names:
            self.gauge('jvm_memory_used_bytes', self.jmx(b, area='heap'), t, round(used))
            self.gauge('jvm_memory_max_bytes', self.jmx(b, area='heap'), t, heap_max)
        else:
            self.gauge('jvm_memory_bytes_used', self.jmx(b, area='heap'), t, round(used))
            self.gauge('jvm_memory_bytes_max', self.jmx(b, area='heap'), t, heap_max)
        young_n = self.rng.uniform(3, 9) * (1 + 2 * gc)
        young_s = young_n * self.rng.uniform(0.008, 0.02) * (1 + 4 * gc)
        old_n = (self.rng.random() < 0.01) + (self.rng.uniform(1, 4) * gc if gc > 0.15 else 0)
        old_s = old_n * self.rng.uniform(0.3, 1.5) * (1 + gc) if old_n else 0.0
        # GC time over the 15 s interval cannot exceed the interval
        scale = min(1.0, 14.5 / max(1e-9, young_s + old_s))
        for gcn, n, s in (('G1 Young Generation', young_n, young_s * scale), ('G1 Old Generation', old_n, old_s * scale)):
            self.counter('jvm_gc_collection_seconds_count', self.jmx(b, gc=gcn), t, round(n), start=self.rng.randint(1000, 90000))
            self.counter('jvm_gc_collection_seconds_sum', self.jmx(b, gc=gcn), t, s, start=self.rng.uniform(50, 5000))
        self.counter('process_cpu_seconds_total', self.jmx(b), t, 15 * self.noise(0.6 + 1.5 * gc + sim.load(b) * 2, 0.2))

    def broker_metrics(self, sim, b, t):
        c = self.c
        led = [p for p in c.partitions() if p.leader == b]
        hosted = sim.replicas_on(b)
        gc = sim.gc_int(b, t)
        g = self.gauge
        g('kafka_server_replicamanager_underreplicatedpartitions', self.jmx(b), t,
          sum(1 for p in led if len(p.isr) < len(p.replicas)))
        g('kafka_server_replicamanager_partitioncount', self.jmx(b), t, len(hosted))
        g('kafka_server_replicamanager_leadercount', self.jmx(b), t, len(led))
        g('kafka_server_replicamanager_underminisrpartitioncount', self.jmx(b), t,
          sum(1 for p in led if len(p.isr) < c.topic(p.topic).min_isr))
        self.counter('kafka_server_replicamanager_isrshrinks_total', self.jmx(b), t,
                     sim.delta(('isr_shrinks', b)), start=self.rng.randint(0, 400))
        self.counter('kafka_server_replicamanager_isrexpands_total', self.jmx(b), t,
                     sim.delta(('isr_expands', b)), start=self.rng.randint(0, 400))
        if c.mode == 'zookeeper' or (c.mode == 'kraft' and not c.dedicated_controllers and b in c.controllers):
            self.controller_metrics(sim, b, t)
        if c.mode == 'zookeeper':
            self.counter('kafka_server_sessionexpirelistener_zookeeperexpires_total', self.jmx(b), t,
                         sim.delta(('zk_expires', b)), start=self.rng.randint(0, 5))
            self.counter('kafka_server_sessionexpirelistener_zookeeperdisconnects_total', self.jmx(b), t,
                         sim.delta(('zk_expires', b)), start=self.rng.randint(0, 9))
        else:
            self.raft_metrics(sim, b, t)
        # traffic
        bins, mins = sim.tick_bytes_in.get(b, {}), sim.tick_msgs_in.get(b, {})
        fails = sim.tick_failed.get(b, {})
        for topic in c.topics:
            tl = self.jmx(b, topic=topic.name)
            self.counter('kafka_server_brokertopicmetrics_bytesin_total', tl, t, bins.get(topic.name, 0))
            self.counter('kafka_server_brokertopicmetrics_messagesin_total', tl, t, mins.get(topic.name, 0))
            self.counter('kafka_server_brokertopicmetrics_failedproducerequests_total', tl, t, fails.get(topic.name, 0),
                         start=self.rng.randint(0, 50))
        tot = sum(bins.values())
        fan = sum(bins.get(tp.name, 0) * sum(1 for gr in c.groups if tp.name in gr.topics) for tp in c.topics)
        self.counter('kafka_server_brokertopicmetrics_bytesin_total', self.jmx(b), t, tot)
        self.counter('kafka_server_brokertopicmetrics_bytesout_total', self.jmx(b), t, fan)
        self.counter('kafka_server_brokertopicmetrics_messagesin_total', self.jmx(b), t, sum(mins.values()))
        # request latency and saturation
        load = sim.load(b)
        waiting = sim.acks_waiting(b, t)
        base = {'Produce': 4.0, 'FetchConsumer': 502.0, 'FetchFollower': 501.0}
        for req, ms in base.items():
            for q, mult in (('0.50', 0.5), ('0.99', 3.0)):
                v = ms * (mult if req == 'Produce' else (1.0 if q == '0.50' else 1.02))
                if req == 'Produce':
                    v *= 1 + 6 * load + 40 * gc
                    if waiting and q == '0.99':
                        v = max(v, self.rng.uniform(4000, 29000))
                else:
                    v += 300 * gc * (2 if q == '0.99' else 1)
                g('kafka_network_requestmetrics_totaltimems', self.jmx(b, request=req, quantile=q), t, round(self.noise(v, 0.15), 2))
        thr = max((v[0] for (cl, bb), v in sim.throttle.items() if bb == b), default=0.0)
        g('kafka_network_requestmetrics_throttletimems', self.jmx(b, request='Produce', quantile='0.99'), t, round(thr, 1))
        idle = max(0.01, min(0.99, 0.92 - 0.7 * load - 0.75 * gc + self.rng.uniform(-0.03, 0.03)))
        g(c.labels.idle_metric, self.jmx(b), t, round(idle, 4))
        g('kafka_network_socketserver_networkprocessoravgidlepercent', self.jmx(b), t,
          round(max(0.02, min(0.99, 0.95 - 0.5 * load - 0.5 * gc + self.rng.uniform(-0.02, 0.02))), 4))
        for p in hosted:
            g('kafka_log_log_size', self.jmx(b, topic=p.topic, partition=str(p.id)), t, round(p.size + 5e8 + p.id * 1e7))
        for pr in c.producers:
            thr_b, rate_b = sim.throttle.get((pr.client_id, b), (0.0, 0.0))
            ql = dict(resource='Produce', clientId=pr.client_id)
            g('kafka_server_quota_throttle_time', self.jmx(b, **ql), t, round(thr_b, 2))
            g('kafka_server_quota_byte_rate', self.jmx(b, **ql), t, round(self.noise(rate_b, 0.03), 1))
        if c.labels.client_metrics:
            for pr in c.producers:
                thr_b = sim.throttle.get((pr.client_id, b), (0.0, 0.0))[0]
                if b == c.brokers[0] or thr_b:
                    self.client_throttle[pr.client_id] = max(self.client_throttle.get(pr.client_id, 0.0), thr_b)
        lag = sim.max_follower_lag(b, t)
        g('kafka_server_replicafetchermanager_maxlag', self.jmx(b, clientId='Replica'), t, round(lag))
        prep = sum(1 for gr in c.groups if c.coordinator(gr) == b and gr.id in sim.rebalancing)
        g('kafka_coordinator_group_groupmetadatamanager_numgroupspreparingrebalance', self.jmx(b), t, prep)
        self.jvm(sim, b, t, gc, None)

    def controller_metrics(self, sim, x, t):
        c = self.c
        active = 1 if sim.ctrl == x and not sim.ctrl_gap(t) else 0
        self.gauge('kafka_controller_kafkacontroller_activecontrollercount', self.jmx(x), t, active)
        self.gauge('kafka_controller_kafkacontroller_offlinepartitionscount', self.jmx(x), t,
                   sum(1 for p in c.partitions() if p.leader is None) if active else 0)
        self.counter('kafka_controller_controllerstats_leaderelectionrateandtimems_count', self.jmx(x), t,
                     sim.delta(('elections',)) if active else 0, start=self.rng.randint(10, 900))
        self.counter('kafka_controller_controllerstats_uncleanleaderelections_total', self.jmx(x), t, 0, start=0)

    def raft_metrics(self, sim, x, t):
        self.gauge('kafka_server_raft_metrics_current_leader', self.jmx(x), t, sim.ctrl if not sim.ctrl_gap(t) else -1)
        self.gauge('kafka_server_raft_metrics_current_epoch', self.jmx(x), t, sim.raft_epoch)

    def exporter_metrics(self, sim, t):
        c = self.c
        g = self.gauge
        g('up', self.exporter(), t, 1)
        g('kafka_brokers', self.exporter(), t, sum(1 for b in c.brokers if b not in sim.dead))
        for topic in c.topics:
            g('kafka_topic_partitions', self.exporter(topic=topic.name), t, len(topic.partitions))
            for p in topic.partitions:
                pl = self.exporter(topic=topic.name, partition=str(p.id))
                if p.leader is not None and sim.proc_up(p.leader, t):
                    g('kafka_topic_partition_current_offset', pl, t, int(p.end_offset))
                g('kafka_topic_partition_in_sync_replica', pl, t, len(p.isr))
                g('kafka_topic_partition_under_replicated_partition', pl, t, 1 if len(p.isr) < len(p.replicas) else 0)
                g('kafka_topic_partition_leader', pl, t, p.leader if p.leader is not None else -1)
        for gr in c.groups:
            g('kafka_consumergroup_members', self.exporter(consumergroup=gr.id), t, sim.members_now[gr.id])
            for tn in gr.topics:
                total = 0
                for p in c.topic(tn).partitions:
                    lag = int(sim.lag.get((gr.id, p.name), 0))
                    total += lag
                    g('kafka_consumergroup_lag', self.exporter(consumergroup=gr.id, topic=tn, partition=str(p.id)), t, lag)
                g('kafka_consumergroup_lag_sum', self.exporter(consumergroup=gr.id, topic=tn), t, total)

    # ------------------------------------------------------------ output
    def renamed(self, name, labels):
        """The series as the installation's exporter configuration names it (see FAMILY)."""
        fam = self.c.labels.family
        if fam == 'strimzi' and name.startswith('kafka_server_quota_'):
            return None            # Strimzi's kafka-metrics.yaml has no rule for the quota sensors
        if fam not in ('msk', 'cfk'):
            return name, labels
        lab = dict(labels)
        if name.startswith('jvm_') or name == 'process_cpu_seconds_total':
            if fam == 'cfk':
                return name, labels
            if name in ('jvm_memory_bytes_used', 'jvm_memory_used_bytes', 'jvm_memory_bytes_max',
                        'jvm_memory_max_bytes'):
                lab.pop('area', None)
                return 'java_lang_Memory_HeapMemoryUsage_' + ('used' if 'used' in name else 'max'), \
                    tuple(lab.items())
            if name == 'jvm_gc_collection_seconds_sum':
                lab['name'] = lab.pop('gc')
                return 'java_lang_GarbageCollector_CollectionTime', tuple(lab.items())
            return None
        if name == 'kafka_server_quota_throttle_time':
            return None            # neither exports the quota sensors
        m = FAMILY.get(name)
        if m is None:
            return name, labels
        base, bean, attr = m
        if name == 'kafka_network_requestmetrics_totaltimems' or name == 'kafka_network_requestmetrics_throttletimems':
            q = lab.pop('quantile')
            attr = {'0.50': '50thPercentile', '0.99': '99thPercentile'}[q]
        if name.startswith('kafka_server_kafkarequesthandlerpool_'):
            attr = 'OneMinuteRate'
        new = f'{base}_{attr}'
        if fam == 'cfk':
            new = new.lower()
        lab = {'name': bean, **lab}
        return new, tuple(lab.items())

    def render(self, out):
        by_name = {}
        for (name, labels), values in self.series.items():
            r = self.renamed(name, labels)
            if r is None:
                continue
            kind = self.types[name]
            name, labels = r
            by_name.setdefault(name, []).append((labels, values))
            self.types.setdefault(name, kind)
        for name in sorted(by_name):
            kind = self.types[name]
            if kind == 'counter' and name.endswith('_total'):
                out.write(f'# TYPE {name[:-6]} counter\n')
            else:   # gauges; and _sum/_count samples of summaries, which OpenMetrics cannot type on their own
                out.write(f'# TYPE {name} {"gauge" if kind == "gauge" else "unknown"}\n')
            for labels, values in by_name[name]:
                lab = '{' + ','.join(f'{k}="{v}"' for k, v in labels) + '}'
                pre = name + lab + ' '
                lines = [f'{pre}{v:.10g} {t // 1000}\n' if isinstance(v, float) else f'{pre}{v} {t // 1000}\n'
                         for v, t in zip(values, self.times) if v is not None]
                out.write(''.join(lines))
        return sum(1 for _ in self.series)
