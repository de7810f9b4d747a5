"""Partner channels: where a partner's files come from and where ours go (SFTP, local folders; AS2 next).

A channel is configured in ``config.yaml`` (:mod:`gateway.channels.settings`), driven in
polling rounds by :class:`gateway.channels.runner.ChannelRunner` (its inbound side only when
its ``schedule`` says so: :mod:`gateway.channels.schedule`), and every transfer try lands in
the transfer ledger (:mod:`gateway.ledger.transfers`).
"""
