"""The monitoring loop: due accounts polled on time, judged by the alert policy, told exactly once.

The monitor imports ``risk``, ``bot.exchanges``, ``bot.store`` and the leaf ``bot.ops.metrics``,
never ``bot.core``: core imports the policy, and the words of every alert and digest come from
the presenter the composition root passes in. Nothing is imported here, so importing one module
(``bot.monitor.policy``) stays cheap. What the app builds::

    from bot.core.presenter import CorePresenter
    from bot.monitor.scheduler import Monitor
    from bot.monitor.source import HubSource
    from bot.monitor.transport import Transports

    transports = Transports()
    transports.register("console", ConsoleTransport())  # and "telegram", "discord"
    monitor = Monitor(store, HubSource(store, hub), transports, presenter=CorePresenter())
    await monitor.start()  # inside the running loop; the demo adds clock=AcceleratedClock(60)
    ...
    await monitor.stop()
"""
