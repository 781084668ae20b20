"""The monitoring loop: due accounts polled on time, judged by the alert policy, told exactly once.

Deliberately imports nothing: ``bot.core`` imports ``bot.monitor.policy``, and the monitor's
delivery imports core's renderers, so a package-level import here would be a cycle. What the
app builds::

    from bot.monitor.scheduler import Monitor
    from bot.monitor.source import HubSource
    from bot.monitor.transport import Transports

    transports = Transports()
    transports.register("console", ConsoleTransport())  # and "telegram", "discord"
    monitor = Monitor(store, HubSource(store, hub), transports)  # demo: AcceleratedClock(60)
    await monitor.start()  # inside the running loop
    ...
    await monitor.stop()
"""
