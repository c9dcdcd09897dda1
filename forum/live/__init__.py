"""Live threads: events staged by the services, published after commit (`staging`), carried by a broker
(`brokers`: this process's memory, or Redis Streams across workers and hosts) to Server-Sent Events
streams (`streams`)."""
