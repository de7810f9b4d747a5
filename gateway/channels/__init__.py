"""Partner channels: where a partner's files come from and where ours go (SFTP, local folders; AS2 next).

A channel is configured in ``config.yaml`` (:mod:`gateway.channels.settings`), driven
once per polling round by :class:`gateway.channels.runner.ChannelRunner`, and every
transfer try lands in the transfer ledger (:mod:`gateway.ledger.transfers`).
"""
