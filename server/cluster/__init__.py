"""Several equal nodes on one machine behind HAProxy: the balancer's configuration and the node supervisor."""
