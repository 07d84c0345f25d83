// The meeting screen: LiveKit room, participant grid, controls, captions, chat and suggestions.

import {
  ConnectionState,
  DisconnectReason,
  MediaDeviceFailure,
  Room,
  RoomEvent,
  Track,
  createLocalTracks,
} from 'livekit-client';

import { endMeeting, withdrawAssistant } from './api.js';
import { initials } from './format.js';
import { KnockList } from './knocks.js';
import {
  CHAT_TOPIC,
  CaptionLog,
  SUGGESTIONS_TOPIC,
  TRANSCRIPTION_TOPIC,
  captionKey,
  isFinalCaption,
  parseSuggestion,
  transcribedTrack,
} from './streams.js';
import { announce, byId, element, focus, setPageState, show } from './view.js';

const TOKEN_MARGIN_MS = 5000;

export class Meeting {
  /**
   * @param {object} options
   * @param {(key: string, values?: object) => string} options.t
   * @param {string} options.token the magic-link token (for "end for everyone")
   * @param {object} options.session the POST /v1/join/{token} answer
   * @param {object} options.info the GET /v1/join/{token} answer
   * @param {(reason: string) => void} options.onExit called once the person is out of the meeting
   */
  constructor({ t, token, session, info, consent, onExit }) {
    this.t = t;
    this.consent = consent || { recording: false, assistant: false };
    this.token = token;
    this.session = session;
    this.info = info || {};
    this.onExit = onExit;
    this.sessionExpiresAt = Date.now() + (session.expires_in || 0) * 1000;
    this.localTracks = [];
    this.room = null;
    this.captions = new CaptionLog();
    this.interim = new Map();
    this.exited = false;
    this.listeners = [];
  }

  async start() {
    this.renderShell();
    const preview = this.startPreview();
    await this.connect();
    await preview;
  }

  // --- screen -------------------------------------------------------------------------------

  renderShell() {
    const t = this.t;
    const isProfessional = this.info.participant && this.info.participant.type === 'PROFESSIONAL';
    byId('meeting-title').textContent = this.info.room ? this.info.room.title : t('brand');
    show(byId('lobby'), false);
    show(byId('meeting'));
    document.body.classList.add('meeting-mode');
    show(byId('end-button'), Boolean(this.session.is_organizer));
    show(byId('suggestions-panel'), Boolean(isProfessional));
    byId('grid').replaceChildren();
    byId('captions').replaceChildren();
    byId('caption-interim').replaceChildren();
    byId('chat-log').replaceChildren();
    byId('suggestions').replaceChildren();
    show(byId('captions-empty'));
    show(byId('chat-empty'));
    show(byId('suggestions-empty'));
    show(byId('media-problem'), false);
    this.on(byId('mic-button'), 'click', () => this.toggle(Track.Source.Microphone));
    this.on(byId('camera-button'), 'click', () => this.toggle(Track.Source.Camera));
    this.on(byId('leave-button'), 'click', () => this.leave());
    this.on(byId('end-button'), 'click', () => this.askToEnd());
    show(byId('withdraw-assistant'), Boolean(this.consent.assistant));
    this.on(byId('withdraw-assistant'), 'click', () => this.withdrawAssistant());
    if (this.session.is_organizer) {
      this.knocks = new KnockList({
        t,
        token: this.token,
        accessToken: () => this.session.access_token,
        panel: byId('knock-panel'),
        list: byId('knock-list'),
      });
      this.knocks.start();
    }
    this.on(byId('end-cancel'), 'click', () => byId('end-dialog').close());
    this.on(byId('end-confirm'), 'click', () => this.endForEveryone());
    this.on(byId('retry-button'), 'click', () => this.retry());
    this.on(byId('start-audio'), 'click', () => this.room && this.room.startAudio());
    this.on(byId('chat-form'), 'submit', (event) => {
      event.preventDefault();
      this.sendChat();
    });
    this.renderControls();
    this.renderGrid();
    focus(byId('meeting-title'));
  }

  on(target, type, handler) {
    target.addEventListener(type, handler);
    this.listeners.push(() => target.removeEventListener(type, handler));
  }

  setConnection(state) {
    const t = this.t;
    const status = byId('connection-status');
    const problem = byId('connection-problem');
    show(problem, state === 'unreachable');
    if (state === 'connecting') status.textContent = t('connecting');
    if (state === 'reconnecting') status.textContent = t('reconnecting');
    if (state === 'connected') {
      status.textContent = t('connected');
      // After a retry the focused button has just been hidden: give focus a visible home.
      if (!document.activeElement || document.activeElement === document.body) focus(byId('meeting-title'));
    }
    if (state === 'unreachable') {
      status.textContent = t('unreachable_title');
      byId('problem-title').textContent = t('unreachable_title');
      byId('problem-text').textContent = t('unreachable_text');
      focus(byId('retry-button'));
    }
    setPageState(state === 'connected' ? 'in_meeting' : state);
    announce(status.textContent);
  }

  // --- camera and microphone ------------------------------------------------------------------

  async startPreview() {
    try {
      this.localTracks = await createLocalTracks({ audio: true, video: true });
    } catch (error) {
      this.localTracks = await this.partialTracks();
      this.showMediaProblem(error);
    }
    if (this.exited) {
      // The person left while the browser was still asking for the devices.
      for (const track of this.localTracks) track.stop();
      this.localTracks = [];
      return;
    }
    this.renderGrid();
    this.renderControls();
    await this.publishLocalTracks();
  }

  /** When asking for both fails, each device alone: one blocked device must not cost the other. */
  async partialTracks() {
    const tracks = [];
    for (const kind of ['audio', 'video']) {
      try {
        tracks.push(...(await createLocalTracks({ [kind]: true, [kind === 'audio' ? 'video' : 'audio']: false })));
      } catch {
        // reported once for both by showMediaProblem
      }
    }
    return tracks;
  }

  showMediaProblem(error) {
    const failure = MediaDeviceFailure.getFailure(error);
    const hasAudio = this.localTracks.some((track) => track.kind === Track.Kind.Audio);
    const hasVideo = this.localTracks.some((track) => track.kind === Track.Kind.Video);
    let key = 'media_failed';
    if (failure === MediaDeviceFailure.PermissionDenied) {
      key = hasAudio ? 'camera_blocked' : hasVideo ? 'mic_blocked' : 'media_blocked';
    } else if (failure === MediaDeviceFailure.NotFound && !hasAudio && !hasVideo) {
      key = 'media_missing';
    }
    const problem = byId('media-problem');
    problem.textContent = this.t(key);
    problem.dataset.problem = key;
    show(problem);
  }

  async publishLocalTracks() {
    if (!this.room || this.room.state !== ConnectionState.Connected) return;
    const published = new Set(
      Array.from(this.room.localParticipant.trackPublications.values()).map((publication) => publication.track),
    );
    for (const track of this.localTracks) {
      if (!published.has(track)) await this.room.localParticipant.publishTrack(track);
    }
  }

  localTrack(source) {
    return this.localTracks.find((track) => track.source === source);
  }

  async toggle(source) {
    const track = this.localTrack(source);
    if (!track) return;
    if (track.isMuted) await track.unmute();
    else await track.mute();
    this.renderControls();
    this.renderGrid();
    const button = byId(source === Track.Source.Camera ? 'camera-button' : 'mic-button');
    announce(button.textContent);
  }

  renderControls() {
    const t = this.t;
    const mic = this.localTrack(Track.Source.Microphone);
    const camera = this.localTrack(Track.Source.Camera);
    const micButton = byId('mic-button');
    const cameraButton = byId('camera-button');
    micButton.textContent = mic && !mic.isMuted ? t('mic_on') : t('mic_off');
    micButton.dataset.on = String(Boolean(mic && !mic.isMuted));
    micButton.disabled = !mic;
    cameraButton.textContent = camera && !camera.isMuted ? t('camera_on') : t('camera_off');
    cameraButton.dataset.on = String(Boolean(camera && !camera.isMuted));
    cameraButton.disabled = !camera;
  }

  // --- participant grid ----------------------------------------------------------------------

  participants() {
    const local = {
      identity: this.session.identity,
      name: this.session.participant_name,
      isLocal: true,
      isAgent: false,
      isSpeaking: this.room ? this.room.localParticipant.isSpeaking : false,
      video: this.localTrack(Track.Source.Camera),
      audio: this.localTrack(Track.Source.Microphone),
    };
    const remote = this.room
      ? Array.from(this.room.remoteParticipants.values()).map((participant) => {
          const video = participant.getTrackPublication(Track.Source.Camera);
          const audio = participant.getTrackPublication(Track.Source.Microphone);
          return {
            identity: participant.identity,
            name: participant.name || participant.identity,
            isLocal: false,
            isAgent: participant.isAgent,
            isSpeaking: participant.isSpeaking,
            video: video && video.isSubscribed && !video.isMuted ? video.track : null,
            audio: audio && audio.track ? audio.track : null,
            audioMuted: Boolean(audio && audio.isMuted),
          };
        })
      : [];
    return [local, ...remote];
  }

  renderGrid() {
    const t = this.t;
    const grid = byId('grid');
    const people = this.participants();
    const keep = new Set(people.map((person) => person.identity));
    for (const tile of Array.from(grid.children)) {
      if (!keep.has(tile.dataset.identity)) tile.remove();
    }
    for (const person of people) {
      let tile = grid.querySelector(`[data-identity="${CSS.escape(person.identity)}"]`);
      if (!tile) {
        tile = element('li', 'tile');
        tile.dataset.identity = person.identity;
        const video = element('video', 'tile-video');
        video.autoplay = true;
        video.playsInline = true;
        video.muted = true;
        video.setAttribute('aria-hidden', 'true');
        const avatar = element('div', 'tile-avatar');
        avatar.setAttribute('aria-hidden', 'true');
        const label = element('p', 'tile-name');
        tile.append(video, avatar, label);
        grid.append(tile);
      }
      const [video, avatar, label] = tile.children;
      const videoTrack = person.video && !person.video.isMuted ? person.video : null;
      if (videoTrack && tile.videoTrack !== videoTrack) {
        if (tile.videoTrack) tile.videoTrack.detach(video);
        videoTrack.attach(video);
      } else if (!videoTrack && tile.videoTrack) {
        tile.videoTrack.detach(video);
      }
      tile.videoTrack = videoTrack;
      tile.classList.toggle('has-video', Boolean(videoTrack));
      tile.classList.toggle('is-local', person.isLocal);
      tile.classList.toggle('is-speaking', Boolean(person.isSpeaking));
      const name = person.isLocal ? `${person.name} (${t('you')})` : person.isAgent ? t('assistant') : person.name;
      avatar.textContent = person.isAgent ? 'AI' : initials(person.name);
      const micMuted = person.isLocal ? !person.audio || person.audio.isMuted : person.audioMuted;
      label.textContent = name;
      if (micMuted) label.append(' ', element('span', 'muted-badge', t('muted')));
    }
    grid.dataset.count = String(people.length);
  }

  // --- connection -----------------------------------------------------------------------------

  async connect() {
    this.setConnection('connecting');
    const room = new Room({ adaptiveStream: true, dynacast: true });
    this.room = room;
    this.wireRoom(room);
    try {
      await room.connect(this.session.livekit_url, this.session.access_token, { maxRetries: 1 });
    } catch {
      if (this.room === room && !this.exited) {
        this.room = null;
        this.setConnection('unreachable');
      }
      return;
    }
    if (this.exited || this.room !== room) {
      room.disconnect();
      return;
    }
    this.setConnection('connected');
    this.renderGrid();
    await this.publishLocalTracks();
  }

  async retry() {
    if (Date.now() > this.sessionExpiresAt - TOKEN_MARGIN_MS) {
      this.exit('session_expired');
      return;
    }
    await this.connect();
  }

  wireRoom(room) {
    const redraw = () => this.renderGrid();
    room
      .on(RoomEvent.ParticipantConnected, redraw)
      .on(RoomEvent.ParticipantDisconnected, redraw)
      .on(RoomEvent.ParticipantNameChanged, redraw)
      .on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) byId('audio-sink').append(track.attach());
        redraw();
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => {
        if (track.kind === Track.Kind.Audio) track.detach().forEach((node) => node.remove());
        redraw();
      })
      .on(RoomEvent.TrackMuted, redraw)
      .on(RoomEvent.TrackUnmuted, redraw)
      .on(RoomEvent.ActiveSpeakersChanged, redraw)
      .on(RoomEvent.Reconnecting, () => this.setConnection('reconnecting'))
      .on(RoomEvent.Reconnected, () => this.setConnection('connected'))
      .on(RoomEvent.AudioPlaybackStatusChanged, () => show(byId('start-audio'), !room.canPlaybackAudio))
      .on(RoomEvent.Disconnected, (reason) => this.onDisconnected(room, reason));
    room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, sender) => this.readCaption(reader, sender));
    room.registerTextStreamHandler(CHAT_TOPIC, (reader, sender) => this.readChat(reader, sender));
    room.registerTextStreamHandler(SUGGESTIONS_TOPIC, (reader) => this.readSuggestion(reader));
  }

  onDisconnected(room, reason) {
    if (room !== this.room || this.exited) return;
    if (reason === DisconnectReason.ROOM_DELETED) this.exit('ended');
    else if (reason === DisconnectReason.PARTICIPANT_REMOVED) this.exit('removed');
    else if (reason === DisconnectReason.CLIENT_INITIATED) this.exit('left');
    else {
      this.room = null;
      this.setConnection('unreachable');
    }
  }

  async leave() {
    if (this.room) await this.room.disconnect();
    this.exit('left');
  }

  askToEnd() {
    show(byId('end-error'), false);
    byId('end-dialog').showModal();
    focus(byId('end-cancel'));
  }

  async endForEveryone() {
    const confirm = byId('end-confirm');
    confirm.disabled = true;
    try {
      await endMeeting(this.token, this.session.access_token);
    } catch {
      const error = byId('end-error');
      error.textContent = this.t('end_failed');
      show(error);
      confirm.disabled = false;
      return;
    }
    confirm.disabled = false;
    byId('end-dialog').close();
    if (this.room) await this.room.disconnect();
    this.exit('ended');
  }

  async withdrawAssistant() {
    const button = byId('withdraw-assistant');
    button.disabled = true;
    try {
      await withdrawAssistant(this.token, this.session.access_token);
    } catch {
      button.disabled = false;
      announce(this.t('withdraw_failed'));
      return;
    }
    this.consent = { ...this.consent, assistant: false };
    button.disabled = false;
    show(button, false);
    announce(this.t('withdrawn_assistant'));
    focus(byId('mic-button'));
  }

  exit(reason) {
    if (this.exited) return;
    this.exited = true;
    const room = this.room;
    this.room = null;
    if (room && room.state !== ConnectionState.Disconnected) room.disconnect();
    for (const track of this.localTracks) track.stop();
    this.localTracks = [];
    for (const remove of this.listeners) remove();
    if (this.knocks) this.knocks.stop();
    byId('audio-sink').replaceChildren();
    byId('grid').replaceChildren();
    show(byId('start-audio'), false);
    show(byId('meeting'), false);
    document.body.classList.remove('meeting-mode');
    this.onExit(reason);
  }

  nameOf(identity) {
    if (identity === this.session.identity) return this.t('you');
    const participant = this.room && this.room.remoteParticipants.get(identity);
    if (!participant) return identity;
    return participant.isAgent ? this.t('assistant') : participant.name || identity;
  }

  speakerOfTrack(trackSid, fallbackIdentity) {
    if (trackSid && this.room) {
      if (this.room.localParticipant.trackPublications.has(trackSid)) return this.t('you');
      for (const participant of this.room.remoteParticipants.values()) {
        if (participant.trackPublications.has(trackSid)) return this.nameOf(participant.identity);
      }
    }
    return this.nameOf(fallbackIdentity);
  }

  // --- captions, chat, suggestions -------------------------------------------------------------

  async readCaption(reader, sender) {
    const key = captionKey(reader.info);
    const speaker = this.speakerOfTrack(transcribedTrack(reader.info), sender.identity);
    let text = '';
    for await (const chunk of reader) {
      text += chunk;
      this.showInterim(key, speaker, text);
    }
    const line = this.captions.update(key, speaker, text, isFinalCaption(reader.info));
    this.interim.delete(key);
    this.renderInterim();
    if (line.final && line.text.trim()) this.appendCaption(line);
    else this.showInterim(key, speaker, text);
  }

  showInterim(key, speaker, text) {
    this.interim.set(key, `${speaker}: ${text}`);
    this.renderInterim();
  }

  renderInterim() {
    byId('caption-interim').replaceChildren(
      ...Array.from(this.interim.values()).map((text) => element('p', 'caption interim', text)),
    );
  }

  appendCaption(line) {
    const log = byId('captions');
    show(byId('captions-empty'), false);
    const item = element('li', 'caption');
    item.append(element('span', 'speaker', `${line.speaker}: `), line.text);
    log.append(item);
    while (log.children.length > this.captions.limit) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  async readChat(reader, sender) {
    const text = await reader.readAll();
    if (text.trim()) this.appendChat(this.nameOf(sender.identity), text, 'from-them');
  }

  appendChat(author, text, kind) {
    const log = byId('chat-log');
    show(byId('chat-empty'), false);
    const item = element('li', `chat-message ${kind}`);
    item.append(element('span', 'author', `${author}: `), text);
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  async sendChat() {
    const input = byId('chat-input');
    const text = input.value.trim();
    if (!text) return;
    const error = byId('chat-error');
    if (!this.room || this.room.state !== ConnectionState.Connected) {
      error.textContent = this.t('chat_failed');
      show(error);
      return;
    }
    try {
      await this.room.localParticipant.sendText(text, { topic: CHAT_TOPIC });
    } catch {
      error.textContent = this.t('chat_failed');
      show(error);
      return;
    }
    show(error, false);
    input.value = '';
    this.appendChat(this.t('you'), text, 'from-me');
  }

  async readSuggestion(reader) {
    const suggestion = parseSuggestion(await reader.readAll());
    if (!suggestion) return;
    const t = this.t;
    show(byId('suggestions-empty'), false);
    const item = element('li', 'suggestion');
    item.append(element('p', 'suggestion-text', suggestion.text));
    if (suggestion.sources.length) {
      const sources = element('p', 'suggestion-sources', `${t('sources')}: `);
      sources.append(
        suggestion.sources
          .map((source) =>
            source.page === null ? source.document_name : t('source_page', { name: source.document_name, page: source.page }),
          )
          .join('; '),
      );
      item.append(sources);
    }
    byId('suggestions').prepend(item);
  }
}
