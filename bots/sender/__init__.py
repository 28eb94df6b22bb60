"""The outbound chat sender: a durable outbox drained at Telegram's pace, by priority lane.

* ``outbox.submit`` / ``submit_many`` queue messages in the caller's transaction (table
  ``chat_messages``, one row per key); pass ``wake=sender.wake`` to skip the poll.
* ``sender.ChatSender.run`` sends them while this replica holds the ``chat-sender`` lock,
  paced by ``limits.SenderLimits`` and chosen by ``schedule.Scheduler``.
* ``chat_status`` remembers chats that blocked the bot; ``outbox.mark_chat_active`` undoes it.
"""
