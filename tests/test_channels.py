"""Channels end to end through the fake Bot API: linking by an administrator (by @name or a forwarded
post), the channel's menu in the private chat, digests and alerts as posts, unlinking."""

from __future__ import annotations

from datetime import datetime, timezone

from fakebotapi import BOT_ID, button, tap

from gcmbot.models import utcnow
from gcmbot.services.pacing import Budget, Limits
from gcmbot.store import digest as digest_store

CHANNEL = -1001234567890
ADMIN_USER = 2201
OTHER_USER = 2202
MONDAY_9 = datetime(2030, 12, 2, 9, 5, tzinfo=timezone.utc)  # a Monday (the default digest slot), after the test runs


def channel_with_bot(fake, *, bot_may_post=True):
    fake.add_channel(CHANNEL, "gcm_civil", "GCM Civil Society")
    fake.set_chat_member(CHANNEL, BOT_ID, "administrator", can_post_messages=bot_may_post)
    fake.set_chat_member(CHANNEL, ADMIN_USER, "administrator")
    fake.set_chat_member(CHANNEL, OTHER_USER, "member")


async def link(fake, user=ADMIN_USER, how="/channel @gcm_civil"):
    before = len(fake.sent(user))
    if how == "forward":
        fake.forward_post(user, CHANNEL, "Our latest post")
    else:
        fake.send_message(user, how)
    await fake.wait_for(lambda: len(fake.sent(user)) > before)
    # The menu follows the first reply after a few database calls (in worker threads): a quiet
    # spell of 0.1 s on a loaded machine could fall between the two.
    await fake.wait_idle(quiet=0.5)
    return fake.sent(user)


async def test_admin_links_a_channel_which_gets_the_digest_and_an_alert(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    sent = await link(fake)
    assert "is linked" in sent[-2]["text"] and "GCM Civil Society" in sent[-2]["text"]
    menu = sent[-1]
    assert "This channel's subscription" in menu["text"]
    assert button(menu, "Regions").startswith(f"s:{CHANNEL}.")  # the menu edits the channel, not the private chat
    sub = services.subscriptions.get(CHANNEL)
    assert sub.chat_type == "channel" and sub.active and services.subscriptions.get(ADMIN_USER) is None

    # The admin chooses the channel's segment and alerts in the private chat.
    screen = await tap(fake, ADMIN_USER, menu, "Regions")
    screen = await tap(fake, ADMIN_USER, screen, "Africa")
    screen = await tap(fake, ADMIN_USER, screen, "Back")
    screen = await tap(fake, ADMIN_USER, screen, "Digest")
    screen = await tap(fake, ADMIN_USER, screen, "Instant alerts")
    screen = await tap(fake, ADMIN_USER, screen, "even when nothing is new")
    screen = await tap(fake, ADMIN_USER, screen, "Back")
    await tap(fake, ADMIN_USER, screen, "Timezone")
    fake.send_message(ADMIN_USER, "Africa/Nairobi")
    await fake.wait_for(lambda: "Timezone set to Africa/Nairobi" in fake.sent(ADMIN_USER)[-1]["text"])
    sub = services.subscriptions.get(CHANNEL)
    assert sub.segment.regions == {"africa"} and sub.alerts and sub.timezone == "Africa/Nairobi"

    services.set_bot_username("gcm_test_bot")
    report = services.digest.send_due(MONDAY_9)  # 12:05 in Nairobi, past the Monday 09:00 slot
    assert report.digests == 1
    [post] = await fake.wait_messages(CHANNEL, 1, timeout=10)
    assert "weekly digest" in post["text"]
    assert "t.me/gcm_test_bot?start=r-africa" in post["text"]  # forward-safe: the channel's own segment
    [call] = [c for c in fake.calls_to("sendMessage") if c["chat_id"] == CHANNEL]
    assert not call.get("disable_notification")  # 12:05 local: not night

    with services.db.session() as s:
        digest_store.add_feed_item(s, feed_id="un-news-migrants-refugees", key="k1", title="New IOM report on Africa",
                                   link="https://example.org/r", published_at=utcnow(), regions=["africa"])
    assert services.alerts.queue_new() == 1
    posts = await fake.wait_messages(CHANNEL, 2, timeout=10)
    assert "New IOM report on Africa" in posts[1]["text"] and "t.me/gcm_test_bot?start=r-africa" in posts[1]["text"]


async def test_linking_by_forwarding_a_post(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    sent = await link(fake, how="forward")
    assert "is linked" in sent[-2]["text"]
    assert services.subscriptions.get(CHANNEL).active
    assert not any("did not understand" in m["text"].lower() for m in sent)  # not taken as a question


async def test_a_non_admin_cannot_link_it_and_the_bot_needs_post_rights(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    sent = await link(fake, user=OTHER_USER)
    assert "Only administrators of GCM Civil Society" in sent[-1]["text"]
    assert services.subscriptions.get(CHANNEL) is None
    sent = await link(fake, user=OTHER_USER, how="forward")
    assert "Only administrators" in sent[-1]["text"] and services.subscriptions.get(CHANNEL) is None

    fake.set_chat_member(CHANNEL, BOT_ID, "administrator", can_post_messages=False)
    sent = await link(fake)
    assert "right to post messages" in sent[-1]["text"] and services.subscriptions.get(CHANNEL) is None

    sent = await link(fake, how="/channel @nosuchchannel")
    assert "cannot find that channel" in sent[-1]["text"]
    sent = await link(fake, how="/channel not a name!")
    assert "is not a channel name" in sent[-1]["text"]


async def test_a_non_admin_cannot_use_the_channel_menu(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    menu = (await link(fake))[-1]
    n = len(fake.callback_answers)
    fake.press_button(OTHER_USER, menu["message_id"], button(menu, "Regions"))  # replayed in another private chat
    await fake.wait_for(lambda: len(fake.callback_answers) > n)
    assert "administrators" in fake.callback_answers[-1]["text"]
    assert services.subscriptions.get(CHANNEL).segment.regions is None  # nothing changed


async def test_removing_the_bot_or_its_post_right_unlinks_the_channel(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    await link(fake)
    fake.my_chat_member(CHANNEL, "administrator", chat_type="channel", can_post_messages=False)
    await fake.wait_for(lambda: services.subscriptions.get(CHANNEL).status == "inactive")
    assert services.subscriptions.select_recipients() == []
    assert fake.sent(CHANNEL) == []  # the bot never posts about itself in a channel

    fake.set_chat_member(CHANNEL, BOT_ID, "administrator", can_post_messages=True)
    await link(fake)  # the admin links it again: its choices come back
    assert services.subscriptions.get(CHANNEL).active
    fake.my_chat_member(CHANNEL, "left", chat_type="channel")
    await fake.wait_for(lambda: services.subscriptions.get(CHANNEL).status == "inactive")
    assert services.digest.send_due(MONDAY_9).digests == 0


async def test_channel_off_unlinks_it(running_bot, services):
    fake = running_bot
    channel_with_bot(fake)
    await link(fake)
    sent = await link(fake, how="/channel off")
    assert "is unlinked" in sent[-1]["text"]
    assert services.subscriptions.get(CHANNEL).status == "stopped"
    sent = await link(fake, how="/channel off @gcm_civil")
    assert "is not linked" in sent[-1]["text"]
    sent = await link(fake, user=OTHER_USER, how="/channel off @gcm_civil")
    assert "Only administrators" in sent[-1]["text"]


async def test_channel_command_only_in_private_chats(running_bot, services):
    fake = running_bot
    fake.send_message(-100777, "/channel @gcm_civil", user_id=7, chat_type="supergroup")
    await fake.wait_for(lambda: fake.sent(-100777))
    assert "private chat" in fake.sent(-100777)[-1]["text"]
    fake.send_message(2301, "/channel")
    await fake.wait_for(lambda: fake.sent(2301))
    assert "/channel @yourchannel" in fake.sent(2301)[-1]["text"]


async def test_channels_are_paced_like_groups():
    budget = Budget(Limits())
    await budget.acquire(CHANNEL)
    assert 2.9 < budget.chat_ready_in(CHANNEL) <= 3.0  # 20 posts a minute
    await budget.close()


async def test_made_admin_the_bot_tells_whoever_did_it_how_to_link(running_bot, services):
    fake = running_bot
    fake.add_channel(CHANNEL, "gcm_civil", "GCM Civil Society")
    fake.my_chat_member(CHANNEL, "administrator", chat_type="channel", user_id=ADMIN_USER)
    await fake.wait_for(lambda: fake.sent(ADMIN_USER))
    assert "/channel @gcm_civil" in fake.sent(ADMIN_USER)[-1]["text"]
    assert fake.sent(CHANNEL) == [] and services.subscriptions.get(CHANNEL) is None  # linked only by /channel
